//! The `app` crate's modules import along its layers (issue: import cycles): no module file may import,
//! directly or through others, a module file that imports it back. This test reads `app/src`, follows
//! `use` items and `crate::`/`super::`/`self::`/child-module paths (through `pub use` re-exports; comments,
//! strings and `#[cfg(test)] mod tests` are ignored) and lists each cycle with one example per import.
//! To break a cycle, move the shared item down to a leaf module both sides can import: see
//! docs/architecture.md, "Crates and domains".

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

/// Imports between files (indexes into `App::files`), each with one example: its line and the path used.
type Edges = BTreeMap<(usize, usize), (usize, String)>;

/// A path to an item or module as written in a module file.
struct Ref {
    line: usize,
    /// The module it is written in: the file's module, plus any inline `mod x { .. }` around it.
    module: Vec<String>,
    path: Vec<String>,
    /// For a `pub use`, the name under which it re-exports `path`.
    export: Option<String>,
}

/// The module files of `app/src` and the paths each one uses.
struct App {
    files: Vec<String>,
    modules: HashMap<Vec<String>, usize>,
    refs: Vec<Vec<Ref>>,
}

impl App {
    fn load() -> App {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../app/src");
        let mut paths = Vec::new();
        rust_files(&root, &mut paths);
        paths.sort();
        let mut app = App { files: Vec::new(), modules: HashMap::new(), refs: Vec::new() };
        for path in paths {
            let rel = path.strip_prefix(&root).unwrap();
            let mut module: Vec<String> =
                rel.with_extension("").iter().map(|s| s.to_string_lossy().into_owned()).collect();
            if matches!(module.last().map(String::as_str), Some("mod" | "lib")) {
                module.pop();
            }
            app.refs.push(scan(&module, &fs::read_to_string(&path).unwrap()));
            app.modules.insert(module, app.files.len());
            app.files.push(format!("app/src/{}", rel.display()));
        }
        app
    }

    /// `path` as written in `module`, made absolute (without `crate`), or `None` if it is not in the crate.
    fn absolute(&self, module: &[String], path: &[String]) -> Option<Vec<String>> {
        let lead = path.iter().take_while(|s| *s == "self" || *s == "super").count();
        let up = path[..lead].iter().filter(|s| *s == "super").count();
        match path.first()?.as_str() {
            "crate" => Some(path[1..].to_vec()),
            "self" | "super" => Some([&module[..module.len().saturating_sub(up)], &path[lead..]].concat()),
            _ => self.modules.contains_key(&[module, &path[..1]].concat()).then(|| [module, path].concat()),
        }
    }

    /// The file defining the absolute `path`: the deepest module file on it, followed through `pub use`.
    fn resolve(&self, path: &[String], hops: usize) -> usize {
        let mut n = 0;
        while n < path.len() && self.modules.contains_key(&path[..=n]) {
            n += 1;
        }
        let file = self.modules[&path[..n]];
        let reexport = path.get(n).filter(|_| hops < 5).and_then(|name| {
            self.refs[file]
                .iter()
                .filter(|r| r.export.as_ref() == Some(name) && r.module == path[..n])
                .find_map(|r| self.absolute(&r.module, &r.path))
        });
        match reexport {
            Some(target) => self.resolve(&[target.as_slice(), &path[n + 1..]].concat(), hops + 1),
            None => file,
        }
    }

    fn edges(&self) -> Edges {
        let mut edges = Edges::new();
        for (from, refs) in self.refs.iter().enumerate() {
            for r in refs {
                let Some(path) = self.absolute(&r.module, &r.path) else { continue };
                let to = self.resolve(&path, 0);
                if to != from {
                    let example = || (r.line, format!("crate::{}", path.join("::")));
                    edges.entry((from, to)).or_insert_with(example);
                }
            }
        }
        edges
    }
}

/// The `.rs` files under `dir`, except `foo_tests.rs` files (test modules of `foo.rs`).
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs")
            && !path.to_string_lossy().ends_with("_tests.rs")
        {
            out.push(path);
        }
    }
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn is_word(token: &str) -> bool {
    token.starts_with(is_ident_char)
}

/// `src` with comments and string and char literals blanked out, line breaks kept.
fn code_only(src: &str) -> String {
    let s: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < s.len() {
        if let Some(end) = literal_end(&s, i) {
            out.extend(s[i..end].iter().map(|&c| if c == '\n' { c } else { ' ' }));
            i = end;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    out
}

/// Where the comment or string or char literal starting at `s[i]` ends, if one starts there.
fn literal_end(s: &[char], i: usize) -> Option<usize> {
    let at = |j: usize| s.get(j).copied().unwrap_or('\0');
    let after = |from: usize, end: &str| {
        let end: Vec<char> = end.chars().collect();
        (from..s.len()).find(|&j| s[j..].starts_with(&end)).map_or(s.len(), |j| j + end.len())
    };
    match (at(i), at(i + 1)) {
        ('/', '/') => Some(after(i, "\n")),
        ('/', '*') => Some(after(i + 2, "*/")),
        ('r', '"' | '#') => {
            let hashes = s[i + 1..].iter().take_while(|&&c| c == '#').count();
            (at(i + 1 + hashes) == '"').then(|| after(i + 2 + hashes, &format!("\"{}", "#".repeat(hashes))))
        }
        ('"', _) => {
            let mut j = i + 1;
            while j < s.len() && s[j] != '"' {
                j += if s[j] == '\\' { 2 } else { 1 };
            }
            Some((j + 1).min(s.len()))
        }
        ('\'', '\\') => Some(after(i + 3, "'")),
        ('\'', _) if at(i + 2) == '\'' => Some(i + 3),
        _ => None,
    }
}

/// The identifiers, `::` and other punctuation characters of `code`, each with its line number.
fn tokens(code: &str) -> Vec<(&str, usize)> {
    let mut out = Vec::new();
    let mut line = 1;
    let mut chars = code.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c == '\n' {
            line += 1;
        } else if is_ident_char(c) {
            while chars.next_if(|&(_, d)| is_ident_char(d)).is_some() {}
            let end = chars.peek().map_or(code.len(), |&(j, _)| j);
            out.push((&code[start..end], line));
        } else if c == ':' && chars.next_if(|&(_, d)| d == ':').is_some() {
            out.push(("::", line));
        } else if !c.is_whitespace() {
            out.push((&code[start..start + c.len_utf8()], line));
        }
    }
    out
}

/// The paths used in the source of `module`: `use` items, and paths of two or more segments elsewhere.
fn scan(module: &[String], src: &str) -> Vec<Ref> {
    let src = src.find("#[cfg(test)]\nmod tests").map_or(src, |tests| &src[..tests]);
    let code = code_only(src);
    let toks = tokens(&code);
    let tok = |j: usize| toks.get(j).map_or("", |t| t.0);
    let mut refs = Vec::new();
    let mut current = module.to_vec(); // `module`, then any inline `mod x {` we are in
    let mut inline_depths = Vec::new(); // the brace depth outside each of those
    let (mut depth, mut i) = (0_usize, 0);
    while i < toks.len() {
        let (t, line) = toks[i];
        let prev = if i == 0 { "" } else { tok(i - 1) };
        i += 1;
        match t {
            "use" if matches!(tok(i), "::" | "{") || is_word(tok(i)) => {
                // `pub use` or `pub(crate) use`, etc.: re-exports what it imports.
                let open = toks[..i].iter().rposition(|&(text, _)| text == "(").unwrap_or(0);
                let public = prev == "pub" || (prev == ")" && open > 0 && tok(open - 1) == "pub");
                let mut tree = Vec::new();
                i = use_tree(&toks, i, Vec::new(), &mut tree);
                for (mut path, alias) in tree {
                    let glob = path.last().is_some_and(|s| s == "*");
                    if glob || path.last().is_some_and(|s| s == "self") {
                        path.pop();
                    }
                    let export = if public && !glob { alias.or_else(|| path.last().cloned()) } else { None };
                    refs.push(Ref { line, module: current.clone(), path, export });
                }
            }
            "mod" if is_word(tok(i)) && tok(i + 1) == "{" => {
                current.push(tok(i).to_string());
                inline_depths.push(depth);
                depth += 1;
                i += 2;
            }
            "{" => depth += 1,
            "}" => {
                depth = depth.saturating_sub(1);
                if inline_depths.last() == Some(&depth) {
                    inline_depths.pop();
                    current.pop();
                }
            }
            _ if is_word(t) && prev != "::" && tok(i) == "::" && is_word(tok(i + 1)) => {
                let mut path = vec![t.to_string()];
                while tok(i) == "::" && is_word(tok(i + 1)) {
                    path.push(tok(i + 1).to_string());
                    i += 2;
                }
                refs.push(Ref { line, module: current.clone(), path, export: None });
            }
            _ => {}
        }
    }
    refs
}

/// A path imported by a `use` item, and its `as` name.
type Import = (Vec<String>, Option<String>);

/// Reads the use tree starting at `toks[i]`, adding each path it imports (after `path`) to `out`; returns
/// the index after the tree.
fn use_tree(toks: &[(&str, usize)], mut i: usize, mut path: Vec<String>, out: &mut Vec<Import>) -> usize {
    let tok = |j: usize| toks.get(j).map_or("", |t| t.0);
    loop {
        match tok(i) {
            "::" => i += 1,
            "{" => {
                i += 1;
                while !matches!(tok(i), "}" | "") {
                    i = use_tree(toks, i, path.clone(), out);
                    if tok(i) == "," {
                        i += 1;
                    }
                }
                return i + 1;
            }
            word if is_word(word) || word == "*" => {
                path.push(word.to_string());
                match (tok(i + 1), tok(i + 2)) {
                    ("::", _) => i += 2,
                    ("as", alias) => {
                        out.push((path, Some(alias.to_string())));
                        return i + 3;
                    }
                    _ => {
                        out.push((path, None));
                        return i + 1;
                    }
                }
            }
            _ => return i + 1,
        }
    }
}

/// The groups of two or more files that import each other, directly or not.
fn cycles(count: usize, edges: &Edges) -> Vec<Vec<usize>> {
    let reach: Vec<BTreeSet<usize>> = (0..count)
        .map(|start| {
            let (mut seen, mut todo) = (BTreeSet::new(), vec![start]);
            while let Some(v) = todo.pop() {
                for (&(_, w), _) in edges.range((v, 0)..(v + 1, 0)) {
                    if seen.insert(w) {
                        todo.push(w);
                    }
                }
            }
            seen
        })
        .collect();
    let mut found: Vec<Vec<usize>> = Vec::new();
    for (v, reached) in reach.iter().enumerate() {
        if reached.contains(&v) && !found.iter().any(|c| c.contains(&v)) {
            found.push((0..count).filter(|&w| reached.contains(&w) && reach[w].contains(&v)).collect());
        }
    }
    found
}

#[test]
fn app_modules_import_without_cycles() {
    let app = App::load();
    let edges = app.edges();
    let mut report = String::new();
    for cycle in cycles(app.files.len(), &edges) {
        let files: Vec<&str> = cycle.iter().map(|&f| app.files[f].as_str()).collect();
        report += &format!("\ncycle between {}:", files.join(", "));
        for ((from, to), (line, path)) in &edges {
            if cycle.contains(from) && cycle.contains(to) {
                report += &format!("\n  {}:{line} uses {path} ({})", app.files[*from], app.files[*to]);
            }
        }
    }
    assert!(report.is_empty(), "app modules import each other in a cycle:{report}");
}

#[test]
fn import_scan_sees_the_app() {
    let app = App::load();
    let edges = app.edges();
    assert!(app.files.len() > 80, "only {} module files", app.files.len());
    assert!(edges.len() > 300, "only {} imports between module files", edges.len());
    let file = |name: &str| app.files.iter().position(|f| f == name).unwrap();
    assert!(edges.contains_key(&(file("app/src/channels/actions.rs"), file("app/src/channels/queries.rs"))));

    let example = |line| (line, String::new());
    let made_up = Edges::from([((0, 1), example(1)), ((1, 2), example(2)), ((2, 1), example(3))]);
    assert_eq!(cycles(3, &made_up), [vec![1, 2]]);
}
