//! Tidy tests' view of the server's own sources: the Rust files of a directory under `src/`, read from disk so a
//! new module is checked without anyone adding it to a list.

/// Every `.rs` file of `src/<directory>`, by file name, with its source, sorted by name.
pub(crate) fn rust_files(directory: &str) -> Vec<(String, String)> {
    let directory = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(directory);
    let mut files: Vec<(String, String)> = std::fs::read_dir(&directory)
        .unwrap_or_else(|error| panic!("reading {}: {error}", directory.display()))
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "rs"))
        .map(|path| {
            let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
            (name, std::fs::read_to_string(&path).expect("a readable source file"))
        })
        .collect();
    files.sort();
    files
}
