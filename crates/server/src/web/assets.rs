//! The in-memory table of the built web client: every file of the build directory, read once at startup,
//! keyed by its URL path (`/assets/index-3f9a1c2b.js`), with its content type, a strong ETag from its
//! bytes, and the precompressed `.br` / `.gz` siblings the build wrote next to it.
//!
//! Owns reading the directory and nothing else: it never writes, never compresses at run time (a file
//! without siblings is served as it is) and never decides caching or routing (see [`super`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use axum::http::HeaderValue;
use bytes::Bytes;
use sha2::{Digest, Sha256};

use super::negotiate::Encoding;

/// Files nested deeper than this are not read (a symlink loop or a mistaken directory cannot hang startup).
const MAX_DEPTH: usize = 16;

/// One representation of a file: its bytes and the ETag that names exactly these bytes.
#[derive(Clone, Debug)]
pub struct Variant {
    pub bytes: Bytes,
    /// Quoted strong tag, e.g. `"3f9a1c2b5d6e7f80"`, `"3f9a1c2b5d6e7f80-br"`.
    pub etag: HeaderValue,
}

/// A file of the build, ready to serve.
#[derive(Clone, Debug)]
pub struct Asset {
    pub content_type: &'static str,
    pub identity: Variant,
    /// From the `<name>.br` sibling, when the build wrote one.
    pub br: Option<Variant>,
    /// From the `<name>.gz` sibling, when the build wrote one.
    pub gzip: Option<Variant>,
}

impl Asset {
    /// A file with no encoded variants yet.
    pub fn new(path: &str, bytes: Bytes) -> Self {
        let hash = short_hash(&bytes);
        Self {
            content_type: content_type(path),
            identity: Variant {
                etag: etag(&hash, ""),
                bytes,
            },
            br: None,
            gzip: None,
        }
    }

    /// Whether any encoded variant exists (then responses vary by `Accept-Encoding`).
    pub fn has_variants(&self) -> bool {
        self.br.is_some() || self.gzip.is_some()
    }

    /// The representation for `encoding` (identity when that variant does not exist).
    pub fn variant(&self, encoding: Encoding) -> (&Variant, Encoding) {
        match encoding {
            Encoding::Br => self.br.as_ref().map(|v| (v, Encoding::Br)),
            Encoding::Gzip => self.gzip.as_ref().map(|v| (v, Encoding::Gzip)),
            Encoding::Identity => None,
        }
        .unwrap_or((&self.identity, Encoding::Identity))
    }

    /// The ETags of every representation (an `If-None-Match` naming any of them is a match).
    pub fn etags(&self) -> impl Iterator<Item = &HeaderValue> {
        std::iter::once(&self.identity)
            .chain(self.br.as_ref())
            .chain(self.gzip.as_ref())
            .map(|v| &v.etag)
    }
}

/// Every file of a build directory, by URL path.
#[derive(Clone, Debug, Default)]
pub struct Assets {
    files: HashMap<String, Asset>,
    total_bytes: u64,
}

/// Why a build directory could not be read at all.
#[derive(Debug, thiserror::Error)]
#[error("cannot read {}: {source}", dir.display())]
pub struct LoadError {
    pub dir: PathBuf,
    #[source]
    pub source: std::io::Error,
}

impl Assets {
    /// Reads every file under `dir`. A file that cannot be read is skipped with a warning; only an
    /// unreadable (e.g. missing) directory is an error.
    pub fn load(dir: &Path) -> Result<Self, LoadError> {
        let mut raw = Vec::new();
        walk(dir, "", 0, &mut raw).map_err(|source| LoadError {
            dir: dir.to_path_buf(),
            source,
        })?;
        Ok(Self::from_files(raw))
    }

    /// Builds the table from `(URL path, bytes)` pairs: `<path>.br` and `<path>.gz` attach to `<path>`
    /// when it exists, and are served under their own name only when it does not.
    pub fn from_files(raw: Vec<(String, Bytes)>) -> Self {
        let mut files: HashMap<String, Asset> = HashMap::new();
        let mut encoded = Vec::new();
        let names: std::collections::HashSet<&str> = raw.iter().map(|(p, _)| p.as_str()).collect();
        let sibling_of = |path: &str| {
            [(".br", Encoding::Br), (".gz", Encoding::Gzip)]
                .into_iter()
                .find_map(|(ext, enc)| {
                    let base = path.strip_suffix(ext)?;
                    names.contains(base).then(|| (base.to_string(), enc))
                })
        };
        let mut primary = Vec::new();
        for (path, bytes) in &raw {
            match sibling_of(path) {
                Some((base, enc)) => encoded.push((base, enc, bytes.clone())),
                None => primary.push((path.clone(), bytes.clone())),
            }
        }
        let mut total_bytes = 0u64;
        for (path, bytes) in primary {
            total_bytes += bytes.len() as u64;
            let asset = Asset::new(&path, bytes);
            files.insert(path, asset);
        }
        for (base, enc, bytes) in encoded {
            total_bytes += bytes.len() as u64;
            if let Some(asset) = files.get_mut(&base) {
                let hash = short_hash(&asset.identity.bytes);
                let (slot, suffix) = match enc {
                    Encoding::Br => (&mut asset.br, "-br"),
                    Encoding::Gzip => (&mut asset.gzip, "-gz"),
                    Encoding::Identity => continue,
                };
                *slot = Some(Variant {
                    bytes,
                    etag: etag(&hash, suffix),
                });
            }
        }
        Self { files, total_bytes }
    }

    pub fn get(&self, path: &str) -> Option<&Asset> {
        self.files.get(path)
    }

    /// Files served (encoded siblings not counted).
    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Bytes held in memory, encoded variants included.
    pub fn total_bytes(&self) -> u64 {
        self.total_bytes
    }
}

/// Collects `(URL path, bytes)` of every regular file under `dir` (symlinks to files are followed,
/// symlinks to directories are not).
fn walk(
    dir: &Path,
    prefix: &str,
    depth: usize,
    out: &mut Vec<(String, Bytes)>,
) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            tracing::warn!(dir = %dir.display(), "Skipping a file whose name is not UTF-8.");
            continue;
        };
        let path = entry.path();
        let url = format!("{prefix}/{name}");
        let file_type = entry.file_type()?;
        if file_type.is_dir() {
            if depth < MAX_DEPTH {
                walk(&path, &url, depth + 1, out)?;
            }
        } else if file_type.is_file() || path.is_file() {
            match std::fs::read(&path) {
                Ok(bytes) => out.push((url, Bytes::from(bytes))),
                Err(e) => {
                    tracing::warn!(file = %path.display(), error = %e, "Skipping an unreadable file.")
                }
            }
        }
    }
    Ok(())
}

/// The first 16 hex digits of the SHA-256 of `bytes`.
fn short_hash(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn etag(hash: &str, suffix: &str) -> HeaderValue {
    // Hex digits and `-`: always a valid header value.
    HeaderValue::from_str(&format!("\"{hash}{suffix}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("\"0\""))
}

/// The `Content-Type` for a path, by its extension.
pub fn content_type(path: &str) -> &'static str {
    let name = path.rsplit('/').next().unwrap_or(path);
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "webp" => "image/webp",
        "jpg" | "jpeg" => "image/jpeg",
        "txt" => "text/plain; charset=utf-8",
        "wasm" => "application/wasm",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(list: &[(&str, &str)]) -> Assets {
        Assets::from_files(
            list.iter()
                .map(|(p, b)| (p.to_string(), Bytes::from(b.to_string())))
                .collect(),
        )
    }

    #[test]
    fn siblings_attach_to_their_file_and_are_not_served_alone() {
        let a = files(&[
            ("/app.js", "console.log(1)"),
            ("/app.js.br", "BR"),
            ("/app.js.gz", "GZ"),
            ("/data.tar.gz", "tarball"),
        ]);
        assert_eq!(a.len(), 2);
        assert!(a.get("/app.js.br").is_none());
        let js = a.get("/app.js").unwrap();
        assert_eq!(js.br.as_ref().unwrap().bytes, "BR");
        assert_eq!(js.gzip.as_ref().unwrap().bytes, "GZ");
        assert_eq!(js.content_type, "text/javascript; charset=utf-8");
        // No `/data.tar` to attach to: served under its own name.
        assert!(a.get("/data.tar.gz").is_some());
        assert_eq!(a.total_bytes(), 14 + 2 + 2 + 7);
    }

    #[test]
    fn etags_are_strong_distinct_per_variant_and_follow_content() {
        let a = files(&[("/a.js", "x"), ("/a.js.br", "y"), ("/b.js", "x")]);
        let (x, b) = (a.get("/a.js").unwrap(), a.get("/b.js").unwrap());
        assert_eq!(x.identity.etag, b.identity.etag);
        let tag = x.identity.etag.to_str().unwrap();
        assert_eq!(tag.len(), 18);
        assert!(tag.starts_with('"') && tag.ends_with('"'));
        let br = x.br.as_ref().unwrap().etag.to_str().unwrap();
        assert_eq!(br, format!("{}-br\"", &tag[..17]));
    }

    #[test]
    fn content_types_by_extension() {
        for (path, want) in [
            ("/index.html", "text/html; charset=utf-8"),
            ("/manifest.webmanifest", "application/manifest+json"),
            ("/favicon.svg", "image/svg+xml"),
            ("/robots.txt", "text/plain; charset=utf-8"),
            ("/assets/x.WASM", "application/wasm"),
            ("/assets/x.js.map", "application/json"),
            ("/noext", "application/octet-stream"),
        ] {
            assert_eq!(content_type(path), want, "{path}");
        }
    }
}
