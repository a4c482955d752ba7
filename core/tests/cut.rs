//! Cuts: how sends become the chunks a receiver's `recv()` returns.

mod common;

use common::arb_cut;
use proptest::prelude::*;
use seam_core::Cut;

fn all_cuts() -> Vec<Cut> {
    vec![
        Cut::AsSent,
        Cut::Merge { segment: 1000 },
        Cut::Merge { segment: 1 },
        Cut::Split { mss: 4 },
        Cut::Reads { sizes: vec![4, 5] },
        Cut::Reads { sizes: vec![1024] },
        Cut::Random { seed: 3, max: 16 },
        Cut::Bytes,
    ]
}

proptest! {
    #[test]
    fn every_cut_covers_exactly_the_stream_with_no_empty_chunk(
        cut in arb_cut(),
        sends in proptest::collection::vec(0usize..600, 0..12),
    ) {
        let chunks = cut.chunk_lengths(&sends);
        prop_assert_eq!(chunks.iter().sum::<usize>(), sends.iter().sum::<usize>());
        prop_assert!(chunks.iter().all(|&len| len > 0), "{:?}", chunks);
    }
}

#[test]
fn no_sends_give_no_chunks() {
    for cut in all_cuts() {
        assert_eq!(cut.chunk_lengths(&[]), Vec::<usize>::new(), "{cut}");
        assert_eq!(cut.chunk_lengths(&[0, 0]), Vec::<usize>::new(), "{cut}");
    }
}

#[test]
fn as_sent_gives_one_chunk_per_non_empty_send() {
    assert_eq!(Cut::AsSent.chunk_lengths(&[3, 0, 5, 1]), vec![3, 5, 1]);
}

#[test]
fn split_cuts_each_send_into_pieces_of_at_most_mss() {
    assert_eq!(
        Cut::Split { mss: 4 }.chunk_lengths(&[10, 3, 4]),
        vec![4, 4, 2, 3, 4]
    );
}

#[test]
fn merge_coalesces_small_sends_while_they_fit_in_a_segment() {
    assert_eq!(
        Cut::Merge { segment: 1000 }.chunk_lengths(&[300, 300, 300, 300]),
        vec![900, 300]
    );
}

#[test]
fn merge_starts_a_new_segment_when_the_next_send_does_not_fit() {
    assert_eq!(
        Cut::Merge { segment: 1000 }.chunk_lengths(&[600, 600, 400]),
        vec![600, 1000]
    );
    assert_eq!(
        Cut::Merge { segment: 1000 }.chunk_lengths(&[1000, 1]),
        vec![1000, 1]
    );
}

#[test]
fn merge_sends_a_large_send_as_whole_segments_and_merges_its_tail() {
    assert_eq!(
        Cut::Merge { segment: 1000 }.chunk_lengths(&[2500]),
        vec![1000, 1000, 500]
    );
    // The small send before it goes alone; the tail of the large one joins the next send.
    assert_eq!(
        Cut::Merge { segment: 1000 }.chunk_lengths(&[100, 2500, 100]),
        vec![100, 1000, 1000, 600]
    );
}

#[test]
fn reads_cycle_through_their_sizes() {
    assert_eq!(
        Cut::Reads { sizes: vec![4, 5] }.chunk_lengths(&[20]),
        vec![4, 5, 4, 5, 2]
    );
}

#[test]
fn reads_ignore_send_boundaries() {
    assert_eq!(
        Cut::Reads { sizes: vec![7] }.chunk_lengths(&[3, 3, 3]),
        vec![7, 2]
    );
}

#[test]
fn bytes_gives_one_byte_per_chunk() {
    assert_eq!(Cut::Bytes.chunk_lengths(&[2, 1]), vec![1, 1, 1]);
}

#[test]
fn random_is_reproducible_for_a_seed() {
    let cut = Cut::Random { seed: 42, max: 16 };
    assert_eq!(cut.chunk_lengths(&[5000]), cut.chunk_lengths(&[5000]));
}

#[test]
fn random_differs_across_seeds() {
    let a = Cut::Random { seed: 1, max: 16 }.chunk_lengths(&[5000]);
    let b = Cut::Random { seed: 2, max: 16 }.chunk_lengths(&[5000]);
    assert_ne!(a, b);
}

#[test]
fn random_chunks_are_from_1_to_max_and_reach_both() {
    let chunks = Cut::Random { seed: 9, max: 8 }.chunk_lengths(&[10_000]);
    assert!(chunks.iter().all(|&len| (1..=8).contains(&len)));
    assert!(chunks.contains(&1));
    assert!(chunks.contains(&8));
}

#[test]
fn random_is_splitmix64_so_every_platform_cuts_alike() {
    // SplitMix64 from seed 0 first gives e220a8397b1dcdaf, 6e789e6aa1b965f4, 06c45d188009454f;
    // a chunk is 1 + output % max.
    let chunks = Cut::Random { seed: 0, max: 64 }.chunk_lengths(&[1000]);
    assert_eq!(&chunks[..3], &[1 + 0x2f, 1 + 0x34, 1 + 0x0f]);
}

#[test]
fn chunks_over_an_endless_stream_are_produced_lazily() {
    let endless = [usize::MAX];
    let reads = Cut::Reads { sizes: vec![4, 5] };
    let first: Vec<usize> = reads.chunks(&endless).take(6).collect();
    assert_eq!(first, vec![4, 5, 4, 5, 4, 5]);
    for cut in [
        Cut::Merge { segment: 1000 },
        Cut::Split { mss: 1000 },
        Cut::Random { seed: 5, max: 64 },
        Cut::Bytes,
    ] {
        assert_eq!(cut.chunks(&endless).take(100_000).count(), 100_000, "{cut}");
    }
    assert_eq!(Cut::AsSent.chunks(&endless).next(), Some(usize::MAX));
}

#[test]
fn display_and_from_str_round_trip() {
    let mut cuts = all_cuts();
    cuts.push(Cut::Reads {
        sizes: vec![1, 2, 3],
    });
    cuts.push(Cut::Random {
        seed: u64::MAX,
        max: 1,
    });
    for cut in cuts {
        let spec = cut.to_string();
        assert_eq!(spec.parse::<Cut>(), Ok(cut), "{spec}");
    }
}

#[test]
fn specs_are_spelled_as_documented() {
    let cases = [
        ("sent", Cut::AsSent),
        ("merge:1460", Cut::Merge { segment: 1460 }),
        ("split:536", Cut::Split { mss: 536 }),
        ("reads:1024", Cut::Reads { sizes: vec![1024] }),
        ("reads:4,5", Cut::Reads { sizes: vec![4, 5] }),
        ("random:7:16", Cut::Random { seed: 7, max: 16 }),
        ("bytes", Cut::Bytes),
    ];
    for (spec, cut) in cases {
        assert_eq!(cut.to_string(), spec);
        assert_eq!(spec.parse::<Cut>(), Ok(cut), "{spec}");
    }
}

#[test]
fn random_without_a_max_takes_64() {
    assert_eq!(
        "random:7".parse::<Cut>(),
        Ok(Cut::Random { seed: 7, max: 64 })
    );
}

#[test]
fn specs_may_have_spaces_around_their_parts() {
    assert_eq!(
        " reads: 4, 5".parse::<Cut>(),
        Ok(Cut::Reads { sizes: vec![4, 5] })
    );
}

fn spec_error(spec: &str) -> String {
    let error = spec.parse::<Cut>().expect_err(spec);
    assert_eq!(error.spec, spec);
    let message = error.to_string();
    assert!(message.contains(&format!("\"{spec}\"")), "{message}");
    error.reason
}

#[test]
fn zero_sizes_are_refused() {
    for spec in ["merge:0", "split:0", "reads:4,0", "random:1:0"] {
        assert!(
            spec_error(spec).contains("\"0\" is not a size of at least 1"),
            "{spec}"
        );
    }
}

#[test]
fn sizes_that_are_not_numbers_are_refused() {
    for spec in [
        "merge:",
        "split:x",
        "reads:4,,5",
        "reads:-1",
        "random:1:big",
    ] {
        assert!(
            spec_error(spec).contains("is not a size of at least 1"),
            "{spec}"
        );
    }
}

#[test]
fn unknown_cut_names_are_refused() {
    for spec in ["", "nagle:10", "SENT", "byte"] {
        assert_eq!(spec_error(spec), "unknown cut", "{spec}");
    }
}

#[test]
fn missing_arguments_are_refused() {
    for spec in ["merge", "split", "reads", "random"] {
        assert_eq!(spec_error(spec), "this cut needs an argument", "{spec}");
    }
}

#[test]
fn arguments_to_cuts_that_take_none_are_refused() {
    for spec in ["sent:1", "bytes:2", "bytes:"] {
        assert_eq!(spec_error(spec), "this cut takes no argument", "{spec}");
    }
}

#[test]
fn a_seed_must_be_a_whole_number() {
    for spec in ["random:", "random:-1", "random:1.5:8"] {
        assert!(spec_error(spec).contains("is not a seed"), "{spec}");
    }
}

#[test]
fn a_spec_error_lists_the_accepted_spellings() {
    let message = "nope".parse::<Cut>().unwrap_err().to_string();
    assert!(
        message.contains("sent, merge:N, split:N, reads:N[,N...], random:SEED[:MAX] or bytes"),
        "{message}"
    );
}
