//! The shape of `src/` that the architecture note promises, checked on every run: thin
//! commands, one terminal, small files and functions, and no module that imports another that
//! imports it back.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Files that are tables of words and phrases, allowed to be long.
const TABLES: &[&str] = &["transport/reply/reason.rs", "lint/words.rs"];

/// Every `.rs` file under `src/`, by its path below `src/` with `/` separators.
fn sources() -> BTreeMap<String, String> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, root, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let name = path.strip_prefix(root).unwrap().to_string_lossy();
                let text = std::fs::read_to_string(&path).unwrap();
                out.insert(name.replace('\\', "/"), text);
            }
        }
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeMap::new();
    walk(&root, &root, &mut out);
    out
}

fn lines(text: &str) -> usize {
    text.lines().count()
}

#[test]
fn the_commands_are_at_most_a_sixth_of_the_code() {
    let files = sources();
    let all: usize = files.values().map(|t| lines(t)).sum();
    let cmd: usize = files
        .iter()
        .filter(|(name, _)| name.starts_with("cmd/"))
        .map(|(_, t)| lines(t))
        .sum();
    assert!(all > 10_000, "{all}");
    assert!(cmd * 100 <= all * 16, "src/cmd/ has {cmd} of {all} lines");
}

#[test]
fn no_file_over_600_lines_but_the_tables() {
    let long: Vec<String> = sources()
        .iter()
        .filter(|(name, text)| lines(text) > 600 && !TABLES.contains(&name.as_str()))
        .map(|(name, text)| format!("{name}: {}", lines(text)))
        .collect();
    assert!(long.is_empty(), "{long:?}");
}

/// The length of every function, from its `fn` line to the brace that closes it at the same
/// indentation.
fn functions(text: &str) -> Vec<(usize, usize, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        let rest = [
            "pub ",
            "pub(crate) ",
            "pub(super) ",
            "async ",
            "const ",
            "unsafe ",
        ]
        .iter()
        .fold(trimmed, |t, p| t.strip_prefix(p).unwrap_or(t));
        let rest = rest.strip_prefix("async ").unwrap_or(rest);
        if !rest.starts_with("fn ") || line.trim_end().ends_with(';') {
            continue;
        }
        let close = format!("{indent}}}");
        if let Some(end) = lines[i..].iter().position(|l| *l == close) {
            out.push((i + 1, end + 1, trimmed.chars().take(50).collect()));
        }
    }
    out
}

#[test]
fn no_function_over_60_lines() {
    let mut long = Vec::new();
    for (name, text) in sources() {
        for (line, length, head) in functions(&text) {
            if length > 60 {
                long.push(format!("{name}:{line} ({length} lines) {head}"));
            }
        }
    }
    assert!(long.is_empty(), "{long:#?}");
}

#[test]
fn only_the_terminal_and_main_print() {
    let printing: Vec<String> = sources()
        .into_iter()
        .filter(|(_, text)| {
            text.lines().any(|l| {
                let l = l.trim_start();
                !l.starts_with("//")
                    && ["println!(", "eprintln!(", "print!(", "eprint!("]
                        .iter()
                        .any(|m| l.contains(m))
            })
        })
        .map(|(name, _)| name)
        .collect();
    assert!(printing.len() <= 2, "{printing:?}");
    for name in &printing {
        assert!(
            name.starts_with("term/") || name == "main.rs",
            "{name} prints"
        );
    }
}

#[test]
fn no_global_holds_the_verbosity() {
    for (name, text) in sources() {
        for line in text
            .lines()
            .filter(|l| l.trim_start().starts_with("static "))
        {
            assert!(
                !line.to_lowercase().contains("verbos") && !line.contains("Atomic"),
                "{name}: {line}"
            );
        }
    }
}

/// A module's path from its file: `ledger/mod.rs` is `ledger`, `lib.rs` the crate.
fn module_of(file: &str) -> Vec<String> {
    let mut parts: Vec<String> = file
        .trim_end_matches(".rs")
        .split('/')
        .map(String::from)
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// Which modules each module uses: `crate::a::b` and `super::c` paths, and a parent's bare
/// `child::` paths, followed through the parent's `pub use child::Item` re-exports to the
/// module that defines the item. Comments and unit tests are left out.
fn imports(files: &BTreeMap<String, String>) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let modules: BTreeSet<Vec<String>> = files.keys().map(|f| module_of(f)).collect();
    let resolve = |parts: &[String]| -> Vec<String> {
        (0..=parts.len())
            .rev()
            .map(|n| parts[..n].to_vec())
            .find(|m| modules.contains(m))
            .unwrap_or_default()
    };
    let path = regex::Regex::new(r"\b(crate|super)((?:::\w+)+|::\{[^}]*\})").unwrap();
    let reexport = regex::Regex::new(r"pub(?:\([a-z]+\))? use (\w+)::\{?([\w,\s:]+)\}?;").unwrap();
    let mut reexports: BTreeMap<(Vec<String>, String), Vec<String>> = BTreeMap::new();
    for (file, text) in files {
        let module = module_of(file);
        for c in reexport.captures_iter(text) {
            let mut target = module.clone();
            target.push(c[1].to_owned());
            for item in c[2].split(',') {
                let item = item.trim().rsplit("::").next().unwrap_or("").to_owned();
                reexports.insert((module.clone(), item), resolve(&target));
            }
        }
    }
    let mut graph: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for (file, text) in files {
        let module = module_of(file);
        let code: String = text
            .split("#[cfg(test)]\nmod tests")
            .next()
            .unwrap_or("")
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let mut used = BTreeSet::new();
        for c in path.captures_iter(&code) {
            let base = if &c[1] == "crate" {
                vec![]
            } else {
                module[..module.len().saturating_sub(1)].to_vec()
            };
            let tail = c[2].trim_start_matches("::");
            let items: Vec<&str> = match tail.strip_prefix('{') {
                Some(group) => group.trim_end_matches('}').split(',').collect(),
                None => vec![tail],
            };
            for item in items {
                let mut parts = base.clone();
                for segment in item.trim().split("::").filter(|s| !s.is_empty()) {
                    match segment {
                        "super" => {
                            parts.pop();
                        }
                        "self" => {}
                        s => parts.push(s.to_owned()),
                    }
                }
                let target = resolve(&parts);
                let next = parts.get(target.len()).cloned().unwrap_or_default();
                let target = reexports
                    .get(&(target.clone(), next))
                    .cloned()
                    .unwrap_or(target);
                used.insert(target);
            }
        }
        for child in modules
            .iter()
            .filter(|m| m.len() == module.len() + 1 && m.starts_with(&module))
        {
            let name = child.last().unwrap();
            if code.contains(&format!("{name}::")) {
                used.insert(child.clone());
            }
        }
        used.remove(&module);
        graph.insert(module, used);
    }
    graph
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let graph = imports(&sources());
    let mut cycles = Vec::new();
    for (a, used) in &graph {
        for b in used.iter().filter(|b| *b > a) {
            if graph.get(b).is_some_and(|back| back.contains(a)) {
                cycles.push(format!("{} <-> {}", a.join("::"), b.join("::")));
            }
        }
    }
    assert!(cycles.is_empty(), "{cycles:#?}");
    assert!(graph.len() > 60, "{}", graph.len());
}

#[test]
fn the_send_loop_reads_replies_below_it_not_from_bounces() {
    let graph = imports(&sources());
    for (module, used) in &graph {
        if module.first().is_some_and(|m| m == "delivery") {
            let up: Vec<_> = used
                .iter()
                .filter(|u| u.first().is_some_and(|m| m == "bounces"))
                .collect();
            assert!(up.is_empty(), "{module:?} imports {up:?}");
        }
    }
    let delivery = &graph[&vec!["delivery".to_owned()]];
    assert!(
        delivery.contains(&vec!["transport".to_owned(), "reply".to_owned()]),
        "{delivery:?}"
    );
}
