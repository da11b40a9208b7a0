//! A small deterministic pseudo-random number generator (SplitMix64).

/// SplitMix64: a fast 64-bit generator with good statistical quality for
/// synthetic data. Its whole state is one `u64`, so a fixed seed always
/// yields the same sequence on every platform.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform float in `[0, 1)`.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A uniform integer in `0..n` (`n > 0`).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        debug_assert!(n > 0);
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// A uniform integer in `lo..=hi`.
    pub(crate) fn int(&mut self, lo: u32, hi: u32) -> u32 {
        debug_assert!(lo <= hi);
        lo + self.below((hi - lo) as usize + 1) as u32
    }

    /// A uniform float in `[lo, hi)`.
    pub(crate) fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// `true` with probability `p`.
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A uniformly chosen element of a non-empty slice.
    pub(crate) fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    /// Fisher–Yates shuffle.
    pub(crate) fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }

    /// Splits `total` into `n` parts, each within `min..=max`, by handing out
    /// the remainder one unit at a time to random parts that still have room.
    pub(crate) fn partition(&mut self, total: u32, n: usize, min: u32, max: u32) -> Vec<u32> {
        assert!(n > 0 && min <= max);
        assert!(
            u64::from(min) * n as u64 <= u64::from(total)
                && u64::from(total) <= u64::from(max) * n as u64,
            "cannot split {total} into {n} parts of {min}..={max}"
        );
        let mut parts = vec![min; n];
        let mut left = total - min * n as u32;
        while left > 0 {
            let i = self.below(n);
            if parts[i] < max {
                parts[i] += 1;
                left -= 1;
            }
        }
        parts
    }

    /// Splits `total` into parts proportional to random weights in
    /// `[lo, hi)`, by the largest-remainder method; the parts sum to `total`.
    pub(crate) fn apportion(&mut self, total: u64, n: usize, lo: f64, hi: f64) -> Vec<u64> {
        let weights: Vec<f64> = (0..n).map(|_| self.range(lo, hi)).collect();
        let sum: f64 = weights.iter().sum();
        let exact: Vec<f64> = weights.iter().map(|w| total as f64 * w / sum).collect();
        let mut parts: Vec<u64> = exact.iter().map(|x| x.floor() as u64).collect();
        let assigned: u64 = parts.iter().sum();
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| {
            let ra = exact[a] - exact[a].floor();
            let rb = exact[b] - exact[b].floor();
            rb.total_cmp(&ra).then(a.cmp(&b))
        });
        for &i in order.iter().cycle().take((total - assigned) as usize) {
            parts[i] += 1;
        }
        parts
    }
}

#[cfg(test)]
mod tests {
    use super::Rng;

    #[test]
    fn same_seed_same_sequence() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
    }

    #[test]
    fn partition_and_apportion_hit_their_totals() {
        let mut rng = Rng::new(1);
        let parts = rng.partition(153, 11, 11, 17);
        assert_eq!(parts.iter().sum::<u32>(), 153);
        assert!(parts.iter().all(|p| (11..=17).contains(p)));
        let parts = rng.apportion(111_100, 40, 0.4, 1.6);
        assert_eq!(parts.iter().sum::<u64>(), 111_100);
    }
}
