use bawaba_matching::*;
#[test]
fn scratch() {
    let ix = Index::new();
    let m = Matcher::new(MatchConfig { possible: 0.0, ..MatchConfig::default() });
    for (x, y) in [
        ("محمد علي خالد الشاعر", "محمود علي خالد الشاعر"),
        ("احمد علي خالد الشاعر", "حامد علي خالد الشاعر"),
        ("احمد علي خالد الشاعر", "محمد علي خالد الشاعر"),
        ("سامي علي خالد الشاعر", "سمير علي خالد الشاعر"),
        ("Sharaf Ali", "AlShereef Ali"),
    ] {
        let a = [prepare(&PersonInput::new(Role::Head, x).dob("1966-06-07"))];
        let b = [prepare(&PersonInput::new(Role::Head, y).dob("1966-06-07"))];
        if let Some(f) = m.compare_households(&ix, &a, &b) {
            println!("{x} | {y} score {}", f.score);
            for p in &f.pairs {
                for e in &p.evidence {
                    println!("      {:?} {} {:?} / {:?} {:+.2}", e.field, e.level, e.ours, e.theirs, e.weight);
                }
            }
        }
    }
}
