//! Queries checked against a brute-force reference on small random corpora: the same spans,
//! counts, locations, contributions and weights, and every location holds its span.

#![allow(
    clippy::unwrap_used,
    reason = "test setup: a failure is a test failure"
)]

use std::collections::BTreeMap;

use datanet_attribution::{
    Attribution, ContributionText, ContributionWeight, ContributorWeight, Id, Location, Shard,
    Span, Version, MAX_LOCATIONS,
};
use proptest::prelude::*;

/// One shard's contributions, as given to the builder.
type Corpus = Vec<Vec<ContributionText>>;

/// Text over a small alphabet, with a two-byte character, so matches are frequent.
fn text(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(prop::sample::select(vec!['a', 'b', ' ', 'c', 'é']), 0..max)
        .prop_map(|chars| chars.into_iter().collect())
}

fn corpus() -> impl Strategy<Value = Corpus> {
    let contribution = (0u8..3, proptest::collection::vec((0u32..3, text(24)), 0..4));
    let shard = proptest::collection::vec(contribution, 0..4);
    proptest::collection::vec(shard, 1..4).prop_map(|shards| {
        let mut next_id = 0u8;
        shards
            .into_iter()
            .map(|contributions| {
                contributions
                    .into_iter()
                    .map(|(contributor, records)| {
                        next_id += 1;
                        let mut index = 0;
                        ContributionText {
                            contribution: [next_id; 32],
                            contributor: [100 + contributor; 32],
                            records: records
                                .into_iter()
                                .map(|(gap, t)| {
                                    // Record indices ascend, with gaps where records were skipped.
                                    index += gap + 1;
                                    (index, t.into_bytes())
                                })
                                .collect(),
                        }
                    })
                    .collect()
            })
            .collect()
    })
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The attribution by definition, by scanning every record.
fn reference(corpus: &Corpus, output: &str, min_len: usize) -> Attribution {
    let records = || {
        corpus.iter().enumerate().flat_map(|(s, contributions)| {
            contributions.iter().flat_map(move |c| {
                c.records
                    .iter()
                    .filter(|(_, t)| !t.is_empty())
                    .map(move |(r, t)| (s, c, *r, t))
            })
        })
    };
    let occurs = |needle: &[u8]| records().any(|(_, _, _, t)| contains(t, needle));
    let mut spans = Vec::new();
    let mut reach = 0;
    for (i, _) in output.char_indices() {
        let end = (i + 1..=output.len())
            .rev()
            .find(|&e| output.is_char_boundary(e) && occurs(&output.as_bytes()[i..e]))
            .unwrap_or(i);
        if end > reach {
            if end - i >= min_len {
                spans.push(i..end);
            }
            reach = end;
        }
    }
    let mut weights: BTreeMap<Id, (Id, u64)> = BTreeMap::new();
    let mut total = 0;
    let spans = spans
        .into_iter()
        .map(|range| {
            let needle = &output.as_bytes()[range.clone()];
            let mut locations = Vec::new();
            let mut holders = BTreeMap::new();
            for (s, c, r, t) in records() {
                for offset in 0..t.len() {
                    if t[offset..].starts_with(needle) {
                        locations.push(Location {
                            shard: s as u32,
                            batch: 10 + s as u64,
                            contribution: Id(c.contribution),
                            record: r,
                            offset: offset as u32,
                        });
                        holders.insert(Id(c.contribution), Id(c.contributor));
                    }
                }
            }
            let count = locations.len() as u64;
            let weight = (range.len() * range.len()) as u64;
            let k = holders.len() as u64;
            for (n, (contribution, contributor)) in holders.iter().enumerate() {
                let share = weight / k + u64::from((n as u64) < weight % k);
                weights.entry(*contribution).or_insert((*contributor, 0)).1 += share;
            }
            total += weight;
            locations.truncate(MAX_LOCATIONS);
            Span {
                start: range.start,
                end: range.end,
                text: output[range].to_string(),
                count,
                common: false,
                weight,
                locations,
                contributions: holders.into_keys().collect(),
            }
        })
        .collect();
    let mut contributions: Vec<ContributionWeight> = weights
        .into_iter()
        .map(|(contribution, (contributor, weight))| ContributionWeight {
            contribution,
            contributor,
            weight,
        })
        .collect();
    contributions.sort_by_key(|c| (std::cmp::Reverse(c.weight), c.contribution));
    let mut by_contributor: BTreeMap<Id, u64> = BTreeMap::new();
    for c in &contributions {
        *by_contributor.entry(c.contributor).or_default() += c.weight;
    }
    let mut contributors: Vec<ContributorWeight> = by_contributor
        .into_iter()
        .map(|(contributor, weight)| ContributorWeight {
            contributor,
            weight,
        })
        .collect();
    contributors.sort_by_key(|c| (std::cmp::Reverse(c.weight), c.contributor));
    Attribution {
        min_len,
        spans,
        contributions,
        contributors,
        total_weight: total,
    }
}

fn version(corpus: &Corpus, dir: &std::path::Path) -> Version {
    Version::new(corpus.iter().enumerate().map(|(s, contributions)| {
        Shard::build(
            &dir.join(format!("shard-{s}")),
            10 + s as u64,
            contributions,
        )
        .unwrap()
    }))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn query_matches_the_brute_force_reference(
        corpus in corpus(),
        output in text(40).prop_filter("non-empty", |s| !s.is_empty()),
        min_len in 1usize..6,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let version = version(&corpus, dir.path());
        let got = version.query(&output, min_len).unwrap();
        for span in &got.spans {
            for location in &span.locations {
                let contribution = corpus[location.shard as usize]
                    .iter()
                    .find(|c| Id(c.contribution) == location.contribution)
                    .unwrap();
                let (_, text) = contribution
                    .records
                    .iter()
                    .find(|(r, _)| *r == location.record)
                    .unwrap();
                prop_assert!(text[location.offset as usize..].starts_with(span.text.as_bytes()));
            }
        }
        prop_assert_eq!(got, reference(&corpus, &output, min_len));
    }

    #[test]
    fn output_quoting_a_record_finds_it_whole(
        corpus in corpus(),
        pick in any::<prop::sample::Index>(),
    ) {
        let texts: Vec<String> = corpus
            .iter()
            .flatten()
            .flat_map(|c| c.records.iter().map(|(_, t)| String::from_utf8(t.clone()).unwrap()))
            .filter(|t| !t.is_empty())
            .collect();
        prop_assume!(!texts.is_empty());
        let quoted = pick.get(&texts);
        let dir = tempfile::tempdir().unwrap();
        let got = version(&corpus, dir.path()).query(quoted, 1).unwrap();
        prop_assert_eq!(got.spans.len(), 1);
        prop_assert_eq!(&got.spans[0].text, quoted);
    }
}
