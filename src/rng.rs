//! The one seeded pseudo-random generator, for everything drawn on the CPU (geometry
//! generators, nuclei): the same seed gives the same draws on every machine and build.

/// SplitMix64 (Steele, Lea & Flood 2014, with Vigna's constants): small, fast and good enough
/// for placing objects; not for cryptography. A caller that draws for one purpose XORs the
/// user's seed with a constant of its own, so one seed in a scenario gives unrelated streams
/// to different uses.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// Starts from `state` as it is (no mixing): the first draw is the mix of
    /// `state + 0x9e3779b97f4a7c15`.
    pub fn new(state: u64) -> Rng {
        Rng(state)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e3779b97f4a7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1): the top 53 bits, so every value is a multiple of 2⁻⁵³.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference sequence of SplitMix64 from state 0 (Vigna's splitmix64.c).
    #[test]
    fn matches_the_reference_splitmix64() {
        let mut r = Rng::new(0);
        assert_eq!(r.next_u64(), 0xe220a8397b1dcdaf);
        assert_eq!(r.next_u64(), 0x6e789e6aa1b965f4);
        assert_eq!(r.next_u64(), 0x06c45d188009454f);
    }

    #[test]
    fn uniform_is_in_the_unit_interval_with_the_right_mean() {
        let mut r = Rng::new(42);
        let draws: Vec<f64> = (0..100_000).map(|_| r.uniform()).collect();
        assert!(draws.iter().all(|u| (0.0..1.0).contains(u)));
        let mean = draws.iter().sum::<f64>() / draws.len() as f64;
        assert!((mean - 0.5).abs() < 0.005, "{mean}");
    }
}
