//! The naive receiver's verdicts: one chunk taken for one message.

use seam_core::Span;
use seam_page_model::{naive_reads, NaiveVerdict};

fn verdicts(messages: &[usize], chunks: &[usize]) -> Vec<NaiveVerdict> {
    naive_reads(messages, chunks)
        .iter()
        .map(|read| read.verdict)
        .collect()
}

#[test]
fn a_chunk_per_message_is_read_whole() {
    assert_eq!(
        verdicts(&[5, 7], &[5, 7]),
        [NaiveVerdict::Whole, NaiveVerdict::Whole]
    );
}

#[test]
fn messages_stuck_together_in_one_chunk_are_merged() {
    let reads = naive_reads(&[5, 7, 3], &[12, 3]);
    assert_eq!(reads[0].verdict, NaiveVerdict::Merged);
    assert_eq!((reads[0].first_message, reads[0].messages), (0, 2));
    assert_eq!(reads[1].verdict, NaiveVerdict::Whole);
    assert_eq!(reads[1].first_message, 2);
}

#[test]
fn a_chunk_that_starts_or_ends_inside_a_message_is_broken() {
    assert_eq!(
        verdicts(&[10], &[4, 6]),
        [NaiveVerdict::Broken, NaiveVerdict::Broken]
    );
    // recv(4) then recv(5) on messages of 3 and 6 bytes: 3+1, then the remaining 5.
    let reads = naive_reads(&[3, 6], &[4, 5]);
    assert_eq!(reads[0].verdict, NaiveVerdict::Broken);
    assert_eq!(reads[0].messages, 2);
    assert_eq!(reads[1].verdict, NaiveVerdict::Broken);
    assert_eq!(reads[1].first_message, 1);
}

#[test]
fn spans_cover_the_stream_and_stop_at_its_end() {
    let reads = naive_reads(&[3, 3], &[2, 2, 2, 100]);
    let spans: Vec<Span> = reads.iter().map(|r| r.span).collect();
    assert_eq!(
        spans,
        [
            Span { start: 0, end: 2 },
            Span { start: 2, end: 4 },
            Span { start: 4, end: 6 }
        ]
    );
}

#[test]
fn empty_messages_and_chunks_are_ignored() {
    assert_eq!(
        verdicts(&[0, 4, 0, 4], &[0, 4, 0, 4]),
        [NaiveVerdict::Whole, NaiveVerdict::Whole]
    );
}
