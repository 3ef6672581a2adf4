//! Data-availability sampling math: how likely `s` random samples are to catch a withheld
//! square, how many samples a target confidence needs, and the random coordinates to ask for.
//!
//! A `2k x 2k` extended square cannot be rebuilt only if at least `(k+1)^2` of its `4k^2`
//! shares are withheld. Sampling `s` distinct shares uniformly, the chance that all of them
//! avoid that withheld set is `prod_{i<s} (1 - (k+1)^2 / (4k^2 - i))` (Al-Bassam, Sonnino,
//! Buterin, "Fraud and Data Availability Proofs"); detection is one minus that.

use rand::seq::index;
use rand::Rng;

/// The probability that `samples` distinct uniform samples of a `2k x 2k` square include at
/// least one withheld share, when the minimum `(k+1)^2` needed to prevent reconstruction is
/// withheld. `k = 0` describes no square and gives `0.0`.
pub fn detection_probability(k: u32, samples: u32) -> f64 {
    if k == 0 {
        return 0.0;
    }
    let total = 4.0 * f64::from(k) * f64::from(k);
    let withheld = (f64::from(k) + 1.0).powi(2);
    let mut miss = 1.0;
    for i in 0..samples {
        let remaining = total - f64::from(i);
        if remaining <= withheld {
            return 1.0;
        }
        miss *= 1.0 - withheld / remaining;
    }
    1.0 - miss
}

/// The fewest samples whose [`detection_probability`] reaches `confidence` (clamped to
/// `[0, 1]`; NaN counts as 0). `k = 0` needs no samples.
pub fn samples_needed(k: u32, confidence: f64) -> u32 {
    let target = if confidence.is_nan() {
        0.0
    } else {
        confidence.clamp(0.0, 1.0)
    };
    if k == 0 || target <= 0.0 {
        return 0;
    }
    let total = 4.0 * f64::from(k) * f64::from(k);
    let withheld = (f64::from(k) + 1.0).powi(2);
    let mut miss = 1.0;
    let mut s = 0u32;
    while 1.0 - miss < target {
        let remaining = total - f64::from(s);
        s += 1;
        if remaining <= withheld {
            break;
        }
        miss *= 1.0 - withheld / remaining;
    }
    s
}

/// `count` distinct `(row, col)` coordinates drawn uniformly from a `2k x 2k` square (all of
/// them, in random order, if `count` exceeds the square).
pub fn random_coordinates<R: Rng + ?Sized>(rng: &mut R, k: u16, count: usize) -> Vec<(u16, u16)> {
    let width = 2 * usize::from(k);
    let total = width * width;
    index::sample(rng, total, count.min(total))
        .into_iter()
        .map(|i| ((i / width) as u16, (i % width) as u16))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn formula(k: u32, s: u32) -> f64 {
        let n = 4.0 * f64::from(k).powi(2);
        let w = (f64::from(k) + 1.0).powi(2);
        1.0 - (0..s)
            .map(|i| 1.0 - w / (n - f64::from(i)))
            .product::<f64>()
    }

    #[test]
    fn matches_the_formula() {
        for k in [1u32, 2, 4, 16, 64, 128, 512] {
            for s in [0u32, 1, 2, 8, 16, 30] {
                if f64::from(s) < 4.0 * f64::from(k * k) - f64::from((k + 1) * (k + 1)) {
                    assert!(
                        (detection_probability(k, s) - formula(k, s)).abs() < 1e-9,
                        "k={k} s={s}"
                    );
                }
            }
        }
    }

    #[test]
    fn sixteen_samples_give_99_percent_for_large_squares() {
        for k in [64u32, 128, 256, 512] {
            assert_eq!(samples_needed(k, 0.99), 16, "k={k}");
            assert!(detection_probability(k, 16) >= 0.99);
            assert!(detection_probability(k, 15) < 0.99);
        }
    }

    #[test]
    fn sampling_past_the_available_shares_is_certain() {
        assert_eq!(detection_probability(1, 4), 1.0);
        assert_eq!(samples_needed(1, 1.0), 1);
        assert_eq!(samples_needed(0, 0.99), 0);
        assert_eq!(samples_needed(64, f64::NAN), 0);
    }

    #[test]
    fn coordinates_are_distinct_and_in_range() {
        let mut rng = rand::thread_rng();
        let coords = random_coordinates(&mut rng, 4, 64);
        assert_eq!(coords.len(), 64);
        let mut sorted = coords.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 64);
        assert!(coords.iter().all(|(r, c)| *r < 8 && *c < 8));
        assert_eq!(random_coordinates(&mut rng, 1, 10).len(), 4);
    }

    /// The share of `trials` random samplings of `samples` coordinates that hit a share
    /// `withheld` marks, for a square of width `k`.
    fn detection_rate(
        k: u16,
        samples: usize,
        trials: u32,
        seed: u64,
        withheld: impl Fn(u16, u16) -> bool,
    ) -> f64 {
        use rand::SeedableRng;
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let caught = (0..trials)
            .filter(|_| {
                random_coordinates(&mut rng, k, samples)
                    .into_iter()
                    .any(|(r, c)| withheld(r, c))
            })
            .count();
        caught as f64 / f64::from(trials)
    }

    #[test]
    fn simulated_withholding_is_caught_as_often_as_the_formula_says() {
        const TRIALS: u32 = 20_000;
        for (k, samples) in [(4u16, 2usize), (8, 4), (16, 8), (64, 16), (128, 31)] {
            let expected = detection_probability(u32::from(k), samples as u32);
            // Five standard deviations of the mean of TRIALS Bernoulli draws: a correct
            // sampler fails this about once in 1.7 million runs.
            let bound = 5.0 * (expected * (1.0 - expected) / f64::from(TRIALS)).sqrt() + 1e-9;
            let block = detection_rate(k, samples, TRIALS, u64::from(k), |r, c| r <= k && c <= k);
            assert!(
                (block - expected).abs() <= bound,
                "k={k} s={samples}: the (k+1)x(k+1) block caught {block}, formula {expected}"
            );
            // The same number of shares scattered: uniform samples cannot tell the difference.
            let width = 2 * u32::from(k);
            let need = (u32::from(k) + 1).pow(2);
            let scattered = detection_rate(k, samples, TRIALS, u64::from(k) + 1, |r, c| {
                (u32::from(r) * width + u32::from(c)) * 7919 % (width * width) < need
            });
            assert!(
                (scattered - expected).abs() <= bound,
                "k={k} s={samples}: scattered shares caught {scattered}, formula {expected}"
            );
            // Withholding more only makes it easier to catch.
            let half = detection_rate(k, samples, TRIALS, u64::from(k) + 2, |r, _| r < k);
            assert!(
                half + bound >= expected,
                "k={k}: half the rows caught {half}"
            );
        }
    }

    proptest! {
        #[test]
        fn monotone_in_samples(k in 1u32..600, s in 0u32..200) {
            prop_assert!(detection_probability(k, s + 1) >= detection_probability(k, s));
        }

        #[test]
        fn samples_needed_is_the_least_that_reaches(k in 1u32..600, c in 0.01f64..0.9999) {
            let s = samples_needed(k, c);
            prop_assert!(detection_probability(k, s) >= c);
            prop_assert!(s == 0 || detection_probability(k, s - 1) < c);
        }
    }
}
