//! How many QR finder patterns an image could hold, counted before the QR
//! detector runs: rqrr pairs up every finder pattern it finds with every
//! other, copying the whole image for each pair it tries, so that an image
//! tiled with thousands of them keeps it busy for hours. The count here
//! takes one pass over the image and is never below rqrr's.
//!
//! rqrr finds a finder pattern on a row of its black-and-white image where
//! runs of black, white, black, white and black are in the proportions
//! 1:1:3:1:1, the two outer black runs are one region (its ring), the middle
//! one is another (its stone), and the stone has 10 to 70 per cent of the
//! ring's pixels; each ring yields at most one pattern. The same test on the
//! same black-and-white image, with proportions that rqrr's tolerance
//! implies rather than its own rounding, counts each such ring once, so the
//! number of distinct rings counted bounds the number of patterns rqrr can
//! find. Regions are 4-connected, as rqrr's flood fill makes them.

/// A black-and-white image: `black` holds `width × height` pixels row by
/// row, `true` for black.
#[derive(Debug)]
pub struct Bitmap {
    width: usize,
    height: usize,
    black: Vec<bool>,
}

impl Bitmap {
    /// The image `width` pixels wide whose pixels, row by row, are `black`;
    /// `None` if there are not `width × height` of them.
    pub fn new(width: usize, height: usize, black: Vec<bool>) -> Option<Bitmap> {
        (width.checked_mul(height) == Some(black.len())).then_some(Bitmap { width, height, black })
    }

    fn is_black(&self, x: usize, y: usize) -> bool {
        x < self.width && self.black.get(y * self.width + x).copied().unwrap_or(false)
    }
}

/// The number of distinct rings of candidate finder patterns in `bitmap`;
/// counting stops at `limit + 1`.
pub fn count_rings(bitmap: &Bitmap, limit: usize) -> usize {
    let width = bitmap.width;
    if width == 0 {
        return 0;
    }
    let mut regions = Regions { bitmap, labels: vec![0; bitmap.black.len()], sizes: vec![0] };
    let mut rings: Vec<u32> = Vec::new();
    for (y, row) in bitmap.black.chunks_exact(width).enumerate() {
        // The last five runs of one colour, the newest last.
        let mut runs = [Run::default(); 5];
        let mut ended = 0usize;
        let mut start = 0usize;
        let mut colour = row.first().copied().unwrap_or(false);
        // Past the row's end, white: a pattern at the right edge ends there.
        for x in 1..=width {
            let next = row.get(x).copied().unwrap_or(false);
            if x < width && next == colour {
                continue;
            }
            runs.rotate_left(1);
            if let Some(newest) = runs.last_mut() {
                *newest = Run { start, len: x - start };
            }
            ended += 1;
            // Runs alternate, so five ending in black are black, white, black, white, black.
            if colour && ended >= 5 && in_proportion(runs) {
                let [left, _, stone, _, right] = runs;
                let ring = regions.label(right.start, y);
                let left = regions.label(left.start, y);
                let stone = regions.label(stone.start, y);
                let (ring_size, stone_size) = (regions.size(ring), regions.size(stone));
                let share = stone_size.saturating_mul(100);
                let fits = share > ring_size.saturating_mul(10) && share < ring_size.saturating_mul(70);
                if left == ring && stone != ring && fits && !rings.contains(&ring) {
                    rings.push(ring);
                    if rings.len() > limit {
                        return rings.len();
                    }
                }
            }
            start = x;
            colour = next;
        }
    }
    rings.len()
}

/// A run of pixels of one colour on a row.
#[derive(Clone, Copy, Debug, Default)]
struct Run {
    start: usize,
    len: usize,
}

/// Whether the runs are in the proportions 1:1:3:1:1 as far as rqrr's
/// test can tell. rqrr takes the unit `u` as the outer four runs' total `t`
/// divided by 4, rounded down, and allows each run to be off by `3u/4`,
/// rounded down: so each outer run is between `u/4` and `7u/4`, and the
/// middle run between `9u/4` and `15u/4`, with `(t − 3)/4 ≤ u ≤ t/4`. Those
/// bounds, multiplied by 16, are tested here.
fn in_proportion(runs: [Run; 5]) -> bool {
    let [a, b, c, d, e] = runs.map(|r| r.len as u64);
    let t = a + b + d + e;
    [a, b, d, e].iter().all(|&r| 16 * r <= 7 * t && 16 * r + 3 >= t)
        && 16 * c <= 15 * t
        && 16 * c + 27 >= 9 * t
}

/// The black regions met so far: each pixel's region (0: not yet known)
/// and each region's number of pixels.
struct Regions<'a> {
    bitmap: &'a Bitmap,
    labels: Vec<u32>,
    sizes: Vec<u64>,
}

impl Regions<'_> {
    fn known(&self, x: usize, y: usize) -> u32 {
        self.labels.get(y * self.bitmap.width + x).copied().unwrap_or(0)
    }

    /// The region of the black pixel at (`x`, `y`), filled if new.
    fn label(&mut self, x: usize, y: usize) -> u32 {
        match self.known(x, y) {
            0 => self.fill(x, y),
            label => label,
        }
    }

    fn size(&self, label: u32) -> u64 {
        self.sizes.get(label as usize).copied().unwrap_or(0)
    }

    /// Labels the region of the black pixel at (`x`, `y`), a row's span at
    /// a time, and records its size: each pixel is labelled once.
    fn fill(&mut self, x: usize, y: usize) -> u32 {
        let label = u32::try_from(self.sizes.len()).unwrap_or(u32::MAX);
        let (width, height) = (self.bitmap.width, self.bitmap.height);
        let mut size = 0u64;
        let mut pending = vec![(x, y)];
        while let Some((x, y)) = pending.pop() {
            if !self.bitmap.is_black(x, y) || self.known(x, y) != 0 {
                continue;
            }
            let (mut left, mut right) = (x, x);
            while left > 0 && self.bitmap.is_black(left - 1, y) {
                left -= 1;
            }
            while right + 1 < width && self.bitmap.is_black(right + 1, y) {
                right += 1;
            }
            let row = y * width;
            if let Some(span) = self.labels.get_mut(row + left..=row + right) {
                span.fill(label);
            }
            size += (right - left + 1) as u64;
            // One seed per span of unlabelled black pixels above and below.
            for next in [y.checked_sub(1), Some(y + 1).filter(|&n| n < height)].into_iter().flatten() {
                let mut seeded = false;
                for nx in left..=right {
                    let open = self.bitmap.is_black(nx, next) && self.known(nx, next) == 0;
                    if open && !seeded {
                        pending.push((nx, next));
                    }
                    seeded = open;
                }
            }
        }
        self.sizes.push(size);
        label
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The finder pattern's 7 × 7 modules, black where `true`.
    fn finder(row: usize, col: usize) -> bool {
        let ring = row == 0 || row == 6 || col == 0 || col == 6;
        let stone = (2..=4).contains(&row) && (2..=4).contains(&col);
        ring || stone
    }

    /// A white `width × height` image with a finder pattern of `module`
    /// pixels a module at each top-left corner in `at`; `extra` pixels are
    /// made black too.
    fn image(
        width: usize,
        height: usize,
        module: usize,
        at: &[(usize, usize)],
        extra: &[(usize, usize)],
    ) -> Bitmap {
        let mut black = vec![false; width * height];
        for &(left, top) in at {
            for y in 0..7 * module {
                for x in 0..7 * module {
                    black[(top + y) * width + left + x] = finder(y / module, x / module);
                }
            }
        }
        for &(x, y) in extra {
            black[y * width + x] = true;
        }
        Bitmap::new(width, height, black).unwrap()
    }

    #[test]
    fn counts_each_finder_pattern_once() {
        for module in 1..=6 {
            let side = 7 * module;
            let step = side + 2 * module;
            for n in [0usize, 1, 3, 10] {
                let at: Vec<_> = (0..n).map(|i| (module + i * step, 2 * module)).collect();
                let width = 2 * module + n * step;
                let img = image(width, side + 4 * module, module, &at, &[]);
                assert_eq!(count_rings(&img, usize::MAX - 1), n, "module {module}, {n} patterns");
            }
        }
    }

    #[test]
    fn counts_patterns_on_the_edges() {
        // Touching the right and bottom edges: the row's end closes the last run.
        let img = image(14, 14, 2, &[(0, 0)], &[]);
        assert_eq!(count_rings(&img, 10), 1);
        let img = image(20, 20, 2, &[(6, 6)], &[]);
        assert_eq!(count_rings(&img, 10), 1);
    }

    #[test]
    fn counting_stops_past_the_limit() {
        let at: Vec<_> = (0..12).map(|i| (1 + i * 9, 1)).collect();
        let img = image(1 + 12 * 9, 9, 1, &at, &[]);
        assert_eq!(count_rings(&img, 100), 12);
        assert_eq!(count_rings(&img, 4), 5);
        assert_eq!(count_rings(&img, 0), 1);
    }

    #[test]
    fn ignores_what_is_not_a_finder_pattern() {
        // Blank, all black, and empty images.
        assert_eq!(count_rings(&Bitmap::new(30, 20, vec![false; 600]).unwrap(), 10), 0);
        assert_eq!(count_rings(&Bitmap::new(30, 20, vec![true; 600]).unwrap(), 10), 0);
        assert_eq!(count_rings(&Bitmap::new(0, 0, Vec::new()).unwrap(), 10), 0);
        // The stone joined to the ring: one region, no pattern.
        let bridge: Vec<_> = (7..=9).map(|x| (x, 14)).collect();
        assert_eq!(count_rings(&image(30, 30, 3, &[(4, 4)], &bridge), 10), 0);
        assert_eq!(count_rings(&image(30, 30, 3, &[(4, 4)], &[(7, 14), (8, 14)]), 10), 1);
        // The ring's left side cut off from the rest: its outer runs are two regions.
        let mut img = image(30, 30, 3, &[(4, 4)], &[]);
        for (x, y) in (7..=9).flat_map(|x| [4, 5, 6, 22, 23, 24].map(|y| (x, y))) {
            img.black[y * 30 + x] = false;
        }
        assert_eq!(count_rings(&img, 10), 0);
        // The stone too small for its ring, by rqrr's share of 10 to 70 per cent.
        let mut img = image(30, 30, 3, &[(4, 4)], &[]);
        for (x, y) in (10..=18).flat_map(|x| (10..=18).map(move |y| (x, y))) {
            img.black[y * 30 + x] = y == 14;
        }
        assert_eq!(count_rings(&img, 10), 0, "a 9-pixel stone in a 216-pixel ring");
    }

    #[test]
    fn proportions_within_rqrrs_tolerance() {
        let runs = |lens: [usize; 5]| lens.map(|len| Run { start: 0, len });
        assert!(in_proportion(runs([1, 1, 3, 1, 1])));
        assert!(in_proportion(runs([10, 10, 30, 10, 10])));
        // rqrr: unit 4, slack 3: outer runs 1 to 7, the middle 9 to 15.
        assert!(in_proportion(runs([1, 7, 12, 4, 4])));
        assert!(in_proportion(runs([4, 4, 9, 4, 4])) && in_proportion(runs([4, 4, 15, 4, 4])));
        assert!(!in_proportion(runs([4, 4, 17, 4, 4])));
        assert!(!in_proportion(runs([4, 4, 7, 4, 4])));
        assert!(!in_proportion(runs([1, 1, 1, 1, 12])));
    }

    #[test]
    fn bitmap_needs_every_pixel() {
        assert!(Bitmap::new(3, 2, vec![false; 6]).is_some());
        assert!(Bitmap::new(3, 2, vec![false; 5]).is_none());
        assert!(Bitmap::new(usize::MAX, 2, Vec::new()).is_none());
    }
}
