//! Events of a fill read from the heights sampled every few steps and at each output (linear
//! in between): when the centre line reached the feature's top, and when the bottom began
//! to outrun the field.

use super::model::Sample;

#[derive(Debug, Clone, Copy)]
pub struct Events {
    /// When the surface on the feature's axis reached the feature's depth above its
    /// dielectric bottom (the initial field level less the seed layer), s; NaN if it has
    /// not.
    pub fill_time: f64,
    /// The end of the incubation period: when the centre line first rose at more than
    /// twice the field's speed, s; NaN if it has not.
    pub incubation_time: f64,
    /// When a void of more than one cell was first seen (a void census every few steps, or
    /// an output: it closed since the look before), s; NaN if none.
    pub void_closed_time: f64,
}

/// Rate of the centre over rate of the field that ends the incubation period.
pub const OUTRUN_RATIO: f64 = 2.0;

impl Events {
    /// `min_rise`: the least rise of the centre line over which its rate is compared with
    /// the field's (a fraction of a cell): a sample just before an output (the last step
    /// shortened to land on it) makes a window so short that the level set's jitter would
    /// read as a rate.
    pub fn from_history(h: &[Sample], depth: f64, min_rise: f64) -> Events {
        // A seed layer as thick as the feature is deep puts the centre line at the feature's
        // top from the start.
        let mut fill_time = h
            .first()
            .filter(|s| s.centre >= depth)
            .map_or(f64::NAN, |s| s.time);
        let mut incubation_time = f64::NAN;
        let void_closed_time = h
            .iter()
            .find(|s| s.largest_void > 1)
            .map_or(f64::NAN, |s| s.time);
        for w in h.windows(2) {
            let (a, b) = (&w[0], &w[1]);
            let dt = b.time - a.time;
            if dt <= 0.0 {
                continue;
            }
            if fill_time.is_nan() && a.centre < depth && b.centre >= depth {
                fill_time = a.time + dt * (depth - a.centre) / (b.centre - a.centre);
            }
            let centre_rate = (b.centre - a.centre) / dt;
            let field_rate = (b.field - a.field) / dt;
            if incubation_time.is_nan()
                && b.centre - a.centre >= min_rise
                && centre_rate > OUTRUN_RATIO * field_rate.max(0.0)
            {
                incubation_time = a.time;
            }
        }
        Events {
            fill_time,
            incubation_time,
            void_closed_time,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(time: f64, centre: f64, field: f64) -> Sample {
        Sample {
            time,
            centre,
            field,
            voids: 0,
            largest_void: 0,
            counted: true,
        }
    }

    #[test]
    fn fill_and_incubation_from_heights() {
        let h = [
            s(0.0, 0.0, 0.5),
            s(1.0, 0.1, 0.6),
            s(2.0, 0.3, 0.7),
            s(3.0, 0.7, 0.8),
        ];
        let e = Events::from_history(&h, 0.5, 0.01);
        assert!((e.fill_time - 2.5).abs() < 1e-12);
        assert!((e.incubation_time - 1.0).abs() < 1e-12);
        let none = Events::from_history(&h[..2], 0.5, 0.01);
        assert!(none.fill_time.is_nan() && none.incubation_time.is_nan());
        // A centre line at the feature's top from the start (a seed layer as thick as the
        // feature is deep) fills at once.
        assert_eq!(Events::from_history(&h[..2], 0.0, 0.01).fill_time, 0.0);
        // A window of a millisecond in which the centre jitters up and the field not: no
        // event, though its rate is far above the field's.
        let jitter = [
            s(0.0, 0.0, 0.5),
            s(1.0, 0.1, 0.6),
            s(1.001, 0.1002, 0.6),
            s(2.0, 0.2, 0.7),
        ];
        assert!(Events::from_history(&jitter, 0.5, 0.01)
            .incubation_time
            .is_nan());
        assert!((Events::from_history(&jitter, 0.5, 0.0).incubation_time - 1.0).abs() < 1e-12);
    }

    #[test]
    fn the_first_void_over_one_cell_dates_the_closure() {
        let mut h = [s(0.0, 0.0, 0.5), s(1.0, 0.1, 0.6), s(2.0, 0.3, 0.7)];
        assert!(Events::from_history(&h, 0.5, 0.01)
            .void_closed_time
            .is_nan());
        // A one-cell pocket (void_free still holds) does not count; a larger void does.
        (h[1].voids, h[1].largest_void) = (1, 1);
        (h[2].voids, h[2].largest_void) = (2, 6);
        assert_eq!(Events::from_history(&h, 0.5, 0.01).void_closed_time, 2.0);
    }
}
