//! The family as one: the member rows of a household (one per agency record) resolved into
//! real persons, each once, with every spelling, role and identifier the agencies used and which
//! agency said what. Two rows are one person when they share a national ID, or when the matcher
//! scores the two, compared as two one-person households, `probable` or better; rows of one
//! record are never one person, nor are rows with two different national IDs. Built only from
//! the rows the viewer was shown, so it shows nothing the rows did not.

use bawaba_matching::{Band, Index, Matcher, PersonInput, PreparedPerson, Role, Sex, prepare};
use bawaba_wire::desk::{Person, PersonName, SaidBy};
use bawaba_wire::households::KnownMember;

fn digits(s: Option<&str>) -> Option<String> {
    let d: String = s?.chars().filter(char::is_ascii_digit).collect();
    let d = d.trim_start_matches('0').to_owned();
    (!d.is_empty()).then_some(d)
}

fn prepared(m: &KnownMember) -> PreparedPerson {
    let sex = match m.member.sex.as_deref() {
        Some("M") => Some(Sex::M),
        Some("F") => Some(Sex::F),
        _ => None,
    };
    // Compared as heads: a child who now heads a household is the same person.
    prepare(&PersonInput {
        role: Role::Head,
        name: &m.member.name,
        national_id: m.member.national_id.as_deref(),
        date_of_birth: m.member.date_of_birth.as_deref(),
        sex,
        phone: m.member.phone.as_deref(),
    })
}

fn find(parent: &mut [usize], mut x: usize) -> usize {
    while parent[x] != x {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    x
}

/// Resolves member rows into persons, in the order their first row comes.
pub fn persons(matcher: &Matcher, rows: &[KnownMember]) -> Vec<Person> {
    let n = rows.len();
    let ids: Vec<Option<String>> = rows.iter().map(|r| digits(r.member.national_id.as_deref())).collect();
    let prep: Vec<PreparedPerson> = rows.iter().map(prepared).collect();
    let empty = Index::new();
    let mut parent: Vec<usize> = (0..n).collect();
    // Members of each group, to keep two rows of one record apart and two IDs apart.
    let mut members: Vec<Vec<usize>> = (0..n).map(|i| vec![i]).collect();
    for i in 0..n {
        for j in 0..i {
            let (a, b) = (find(&mut parent, i), find(&mut parent, j));
            if a == b {
                continue;
            }
            let clash = members[a].iter().any(|&x| {
                members[b].iter().any(|&y| {
                    rows[x].record_id == rows[y].record_id || matches!((&ids[x], &ids[y]), (Some(p), Some(q)) if p != q)
                })
            });
            if clash {
                continue;
            }
            let same = match (&ids[i], &ids[j]) {
                (Some(p), Some(q)) => p == q,
                _ => matcher
                    .compare_households(&empty, std::slice::from_ref(&prep[i]), std::slice::from_ref(&prep[j]))
                    .is_some_and(|m| matches!(m.band, Band::Certain | Band::Probable)),
            };
            if same {
                let moved = std::mem::take(&mut members[a]);
                members[b].extend(moved);
                parent[a] = b;
            }
        }
    }
    let mut out = Vec::new();
    for (i, group) in members.iter().enumerate() {
        if find(&mut parent, i) != i {
            continue;
        }
        let mut group = group.clone();
        group.sort_unstable();
        out.push((group[0], person(rows, &group)));
    }
    out.sort_by_key(|(first, _)| *first);
    out.into_iter().map(|(_, p)| p).collect()
}

fn push_once<T: PartialEq>(v: &mut Vec<T>, x: T) {
    if !v.contains(&x) {
        v.push(x);
    }
}

fn person(rows: &[KnownMember], group: &[usize]) -> Person {
    let mut p = Person {
        person_id: String::new(),
        names: Vec::new(),
        roles: Vec::new(),
        date_of_birth: None,
        sex: None,
        national_ids: Vec::new(),
        phones: Vec::new(),
        agencies: Vec::new(),
        member_rows: Vec::new(),
    };
    for &i in group {
        let r = &rows[i];
        let m = &r.member;
        if let Some(id) = &m.person_id {
            if p.person_id.is_empty() {
                p.person_id = id.clone();
            }
            push_once(&mut p.member_rows, id.clone());
        }
        push_once(&mut p.names, PersonName { agency: r.agency.clone(), name: m.name.clone() });
        push_once(&mut p.roles, m.role.clone());
        push_once(&mut p.agencies, r.agency.clone());
        if let Some(d) = m.date_of_birth.as_ref().filter(|d| !d.is_empty())
            && p.date_of_birth.as_ref().is_none_or(|x| d.len() > x.len())
        {
            p.date_of_birth = Some(d.clone());
        }
        if p.sex.is_none() {
            p.sex = m.sex.clone().filter(|s| !s.is_empty());
        }
        if let Some(v) = m.national_id.as_ref().filter(|v| !v.is_empty()) {
            push_once(&mut p.national_ids, SaidBy { agency: r.agency.clone(), value: v.clone() });
        }
        if let Some(v) = m.phone.as_ref().filter(|v| !v.is_empty()) {
            push_once(&mut p.phones, SaidBy { agency: r.agency.clone(), value: v.clone() });
        }
    }
    if p.person_id.is_empty() {
        p.person_id = rows[group[0]].record_id.clone();
    }
    p
}
