//! completions/ and man/ are generated from the clap definitions and
//! committed; this fails when they are stale. Regenerate with
//! `MAILKIT_REGENERATE=1 cargo test --test mailkit generated`.

use std::path::Path;

fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for sub in ["completions", "man"] {
        let mut entries: Vec<_> = std::fs::read_dir(dir.join(sub))
            .map(|r| r.flatten().collect())
            .unwrap_or_default();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            out.push((
                format!("{sub}/{}", e.file_name().to_string_lossy()),
                std::fs::read(e.path()).unwrap(),
            ));
        }
    }
    out
}

#[test]
fn completions_and_man_pages_are_up_to_date() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("MAILKIT_REGENERATE").is_some() {
        for sub in ["completions", "man"] {
            let _ = std::fs::remove_dir_all(root.join(sub));
        }
        mailkit::cli::generate(root).unwrap();
        return;
    }
    let fresh = crate::support::TempDir::new("generated");
    mailkit::cli::generate(fresh.path()).unwrap();
    let want = tree(fresh.path());
    let have = tree(root);
    let names = |t: &[(String, Vec<u8>)]| t.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&have), names(&want), "completions/ or man/ files differ; run MAILKIT_REGENERATE=1 cargo test --test mailkit generated");
    for ((name, a), (_, b)) in have.iter().zip(&want) {
        assert!(
            a == b,
            "{name} is stale; run MAILKIT_REGENERATE=1 cargo test --test mailkit generated"
        );
    }
    assert!(want.iter().any(|(n, _)| n == "man/mailkit-serve-smtp.1"));
    assert!(want.iter().any(|(n, _)| n == "completions/mailkit.bash"));
}
