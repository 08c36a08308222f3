use std::process::ExitCode;

fn main() -> ExitCode {
    mesolyte::cli::main()
}
