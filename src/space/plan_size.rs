//! Plan stage, output sizes: the default resolution snapped down to the family's multiple, and
//! the aspect presets (the card's alternatives, then the family's) labelled by their nearest
//! common ratio.

use super::knowledge::Family;
use crate::lora::profile::Resolution;

pub(super) fn snap(r: Resolution, multiple: u32) -> Resolution {
    let m = multiple.max(1);
    let down = |v: u32| (v / m).max(1) * m;
    Resolution { width: down(r.width), height: down(r.height) }
}

/// The nearest common aspect label of a size (`16:9`).
pub fn aspect_label(r: Resolution) -> String {
    const RATIOS: &[(u32, u32)] =
        &[(1, 1), (16, 9), (9, 16), (4, 3), (3, 4), (3, 2), (2, 3), (21, 9), (9, 21), (5, 4), (4, 5)];
    let ratio = (f64::from(r.width) / f64::from(r.height.max(1))).ln();
    let (a, b) = RATIOS
        .iter()
        .min_by(|x, y| {
            let dx = (ratio - (f64::from(x.0) / f64::from(x.1)).ln()).abs();
            let dy = (ratio - (f64::from(y.0) / f64::from(y.1)).ln()).abs();
            dx.total_cmp(&dy)
        })
        .copied()
        .unwrap_or((1, 1));
    format!("{a}:{b} ({}×{})", r.width, r.height)
}

pub(super) fn aspect_presets(default: Resolution, alternatives: &[Resolution], f: &Family) -> Vec<(String, Resolution)> {
    let mut sizes = vec![default];
    let presets = f.aspect_presets.iter().map(|[w, h]| Resolution { width: *w, height: *h });
    for r in alternatives.iter().map(|r| snap(*r, f.multiple)).chain(presets) {
        if !sizes.contains(&r) {
            sizes.push(r);
        }
    }
    sizes.into_iter().map(|r| (aspect_label(r), r)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aspect_labels_name_the_nearest_common_ratio() {
        assert_eq!(aspect_label(Resolution { width: 1664, height: 928 }), "16:9 (1664×928)");
        assert_eq!(aspect_label(Resolution { width: 1024, height: 1024 }), "1:1 (1024×1024)");
    }

    #[test]
    fn resolutions_snap_down_to_the_family_multiple() {
        assert_eq!(snap(Resolution { width: 1000, height: 577 }, 16), Resolution { width: 992, height: 576 });
    }
}
