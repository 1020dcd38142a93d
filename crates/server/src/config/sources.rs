//! Layering: defaults < `cosmic.toml` (or `--config FILE`) < `cosmic.<profile>.toml` < environment
//! (`DATABASE_URL`/`REDIS_URL`, then `COSMIC_<SECTION>__<KEY>`; secrets also from `<NAME>_FILE`) < flags
//! < the `production` profile's `server.production = true`.
//!
//! Every environment variable and flag is its own figment provider, so each value's metadata names the
//! exact variable, flag or file it came from, and every error can say so. [`load`] is pure apart from
//! reading the files it is pointed at: tests pass their own environment instead of mutating the process's.

use std::path::PathBuf;

use figment::providers::{Format, Serialized, Toml};
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};

use super::{Settings, keys};

/// One value given on the command line.
#[derive(Clone, Debug)]
pub struct Flag {
    /// As typed, e.g. `--listen`.
    pub flag: &'static str,
    /// The key it sets, e.g. `server.listen`.
    pub key: &'static str,
    pub value: String,
}

/// Everything the configuration is layered from.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    /// Where `cosmic.toml` is looked for and relative `--config` paths start.
    pub cwd: PathBuf,
    /// `--config FILE`.
    pub config_file: Option<PathBuf>,
    /// `--profile NAME`.
    pub profile: Option<String>,
    /// The environment, as `(name, value)` pairs.
    pub env: Vec<(String, String)>,
    /// Flags, lowest priority first.
    pub flags: Vec<Flag>,
}

impl Sources {
    /// The process's working directory and environment, with the given flags.
    pub fn from_process(
        config_file: Option<PathBuf>,
        profile: Option<String>,
        flags: Vec<Flag>,
    ) -> Result<Self, ConfigError> {
        let cwd = std::env::current_dir().map_err(|e| ConfigError {
            key: String::new(),
            origin: "working directory".into(),
            problem: format!("cannot read it: {e}"),
            allowed: "an existing directory".into(),
        })?;
        let env = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect();
        Ok(Self {
            cwd,
            config_file,
            profile,
            env,
            flags,
        })
    }

    fn var(&self, name: &str) -> Option<&str> {
        self.env
            .iter()
            .find(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }
}

/// A configuration that could not be loaded: the key, where its value came from, what went wrong and
/// what is allowed. Never carries a secret's value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    /// `section.key`; empty when a whole source failed (an unreadable or malformed file).
    pub key: String,
    /// `default`, `file PATH`, `environment variable NAME`, `flag --NAME`, `profile NAME`.
    pub origin: String,
    pub problem: String,
    pub allowed: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.key.is_empty() {
            write!(f, "{}: {}", self.origin, self.problem.trim_end())?;
        } else {
            write!(f, "{}: {} (set by {})", self.key, self.problem, self.origin)?;
        }
        write!(f, "; allowed: {}", self.allowed)
    }
}

/// Layered, extracted and validated settings, remembering where each value came from.
pub struct Loaded {
    pub settings: Settings,
    /// The profile in use (`--profile`, else `COSMIC_PROFILE`).
    pub profile: Option<String>,
    /// The files read, lowest priority first.
    pub files: Vec<PathBuf>,
    figment: Figment,
}

impl std::fmt::Debug for Loaded {
    // The figment holds every layer's raw values, secrets included: left out.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Loaded")
            .field("settings", &self.settings)
            .field("profile", &self.profile)
            .field("files", &self.files)
            .finish_non_exhaustive()
    }
}

impl Loaded {
    /// Where `key`'s value came from.
    pub fn origin(&self, key: &str) -> String {
        self.figment
            .find_metadata(key)
            .map_or_else(|| "default".to_string(), origin)
    }

    /// An error about `key`'s current value.
    pub fn error(&self, key: &str, problem: impl Into<String>) -> ConfigError {
        ConfigError {
            key: key.to_string(),
            origin: self.origin(key),
            problem: problem.into(),
            allowed: keys::allowed(key),
        }
    }
}

/// Layers, extracts and validates the settings.
pub fn load(sources: &Sources) -> Result<Loaded, ConfigError> {
    let profile = profile(sources)?;
    let files = files(sources, profile.as_deref())?;
    let defaults = Serialized::defaults(Settings::default())
        .data()
        .map_err(|e| source_error("default", e.to_string()))?;
    let mut figment = Figment::new().merge(Layer::new("default", defaults.into_values()));
    for file in &files {
        figment = figment.merge(Toml::file_exact(file));
    }
    for layer in env_layers(sources)? {
        figment = figment.merge(layer);
    }
    for f in &sources.flags {
        let value = keys::typed(f.key, &f.value);
        figment = figment.merge(Layer::one(format!("flag {}", f.flag), f.key, value));
    }
    if profile.as_deref() == Some("production") {
        let on = Value::from(true);
        figment = figment.merge(Layer::one("profile production", "server.production", on));
    }
    let settings = figment
        .extract::<Settings>()
        .map_err(|e| figment_error(e, &figment))?;
    let loaded = Loaded {
        settings,
        profile,
        files,
        figment,
    };
    super::check::validate(&loaded)?;
    Ok(loaded)
}

fn source_error(origin: &str, problem: String) -> ConfigError {
    ConfigError {
        key: String::new(),
        origin: origin.to_string(),
        problem,
        allowed: "see docs/configuration.md".into(),
    }
}

fn profile(sources: &Sources) -> Result<Option<String>, ConfigError> {
    let (name, origin) = match (&sources.profile, sources.var("COSMIC_PROFILE")) {
        (Some(p), _) => (p.clone(), "flag --profile".to_string()),
        (None, Some(p)) => (p.to_string(), "environment variable COSMIC_PROFILE".into()),
        (None, None) => return Ok(None),
    };
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !valid {
        return Err(ConfigError {
            key: "profile".into(),
            origin,
            problem: format!("{name:?} is not a profile name"),
            allowed: "letters, digits, - and _, e.g. production".into(),
        });
    }
    Ok(Some(name))
}

/// The base file (`--config`, `COSMIC_CONFIG`, or `./cosmic.toml` when present) and the profile's file
/// next to it when present.
fn files(sources: &Sources, profile: Option<&str>) -> Result<Vec<PathBuf>, ConfigError> {
    let explicit = match (&sources.config_file, sources.var("COSMIC_CONFIG")) {
        (Some(p), _) => Some((p.clone(), "flag --config")),
        (None, Some(p)) => Some((PathBuf::from(p), "environment variable COSMIC_CONFIG")),
        (None, None) => None,
    };
    let mut files = Vec::new();
    match explicit {
        Some((path, from)) => {
            let path = sources.cwd.join(path);
            if !path.is_file() {
                return Err(ConfigError {
                    key: String::new(),
                    origin: from.to_string(),
                    problem: format!("config file {} does not exist", path.display()),
                    allowed: "the path of a readable TOML file".into(),
                });
            }
            files.push(path);
        }
        None => {
            let path = sources.cwd.join("cosmic.toml");
            if path.is_file() {
                files.push(path);
            }
        }
    }
    if let Some(profile) = profile {
        let dir = files
            .first()
            .and_then(|f| f.parent())
            .unwrap_or(&sources.cwd);
        let path = dir.join(format!("cosmic.{profile}.toml"));
        if path.is_file() {
            files.push(path);
        }
    }
    Ok(files)
}

/// The key an environment variable sets and whether it names a file holding the value.
fn env_key(name: &str) -> Option<(String, bool)> {
    let key = match name {
        "DATABASE_URL" | "DATABASE_URL_FILE" => "database.url".to_string(),
        "REDIS_URL" | "REDIS_URL_FILE" => "redis.url".to_string(),
        "COSMIC_PRODUCTION" => "server.production".to_string(),
        _ => {
            let (section, key) = name.strip_prefix("COSMIC_")?.split_once("__")?;
            let key = format!("{section}.{key}").to_ascii_lowercase();
            if let Some(base) = key.strip_suffix("_file")
                && keys::info(base).is_some_and(|k| k.secret)
            {
                return Some((base.to_string(), true));
            }
            return Some((key, false));
        }
    };
    Some((key, name.ends_with("_FILE")))
}

/// One layer per variable: the conventional `DATABASE_URL`/`REDIS_URL` first, `COSMIC_*` above them.
fn env_layers(sources: &Sources) -> Result<Vec<Layer>, ConfigError> {
    let mut vars: Vec<&(String, String)> =
        sources.env.iter().filter(|(_, v)| !v.is_empty()).collect();
    vars.sort();
    let (mut conventional, mut cosmic) = (Vec::new(), Vec::new());
    for (name, raw) in vars {
        let Some((key, from_file)) = env_key(name) else {
            continue;
        };
        let env_origin = format!("environment variable {name}");
        let layer = if from_file {
            let plain = name.trim_end_matches("_FILE");
            if sources.var(plain).is_some() {
                return Err(ConfigError {
                    key,
                    origin: env_origin,
                    problem: format!("both {plain} and {name} are set"),
                    allowed: format!("one of {plain} or {name}"),
                });
            }
            let text = std::fs::read_to_string(raw).map_err(|e| ConfigError {
                key: key.clone(),
                origin: env_origin.clone(),
                problem: format!("cannot read {raw}: {e}"),
                allowed: "the path of a readable file holding the secret".into(),
            })?;
            let value = Value::from(text.trim().to_string());
            Layer::one(format!("file {raw} (named by {name})"), &key, value)
        } else if key == "api.no_swagger_ui" {
            // The older inverted spelling of `api.swagger_ui`.
            let value =
                keys::parse_bool(raw).map_or_else(|| Value::from(raw.clone()), |b| Value::from(!b));
            Layer::one(env_origin, "api.swagger_ui", value)
        } else {
            let value = keys::typed(&key, raw);
            Layer::one(env_origin, &key, value)
        };
        if name.starts_with("COSMIC_") {
            cosmic.push(layer);
        } else {
            conventional.push(layer);
        }
    }
    conventional.extend(cosmic);
    Ok(conventional)
}

/// A figment error as a [`ConfigError`] naming the key, its origin and what is allowed.
fn figment_error(e: figment::Error, figment: &Figment) -> ConfigError {
    use figment::error::Kind;
    let path = e.path.join(".");
    let (key, problem, allowed) = match &e.kind {
        Kind::UnknownField(field, expected) => {
            let key = if e.path.last() == Some(field) {
                path.clone()
            } else if path.is_empty() {
                field.clone()
            } else {
                format!("{path}.{field}")
            };
            let allowed = format!("one of {}", expected.join(", "));
            (key, "unknown key".to_string(), allowed)
        }
        kind => {
            let secret = keys::info(&path).is_some_and(|k| k.secret);
            let problem = if secret {
                "a value of the wrong type".to_string()
            } else {
                kind.to_string()
            };
            let allowed = if path.is_empty() {
                "TOML with the sections and keys of docs/configuration.md".to_string()
            } else {
                keys::allowed(&path)
            };
            (path, problem, allowed)
        }
    };
    let origin = figment
        .find_metadata(&key)
        .filter(|_| !key.is_empty())
        .or(e.metadata.as_ref())
        .map_or_else(|| "unknown source".to_string(), origin);
    ConfigError {
        key,
        origin,
        problem,
        allowed,
    }
}

/// How a provider is named in reports and errors.
fn origin(metadata: &Metadata) -> String {
    match metadata.source.as_ref().and_then(|s| s.file_path()) {
        Some(path) => format!("file {}", path.display()),
        None => metadata.name.to_string(),
    }
}

/// A provider with a name of our choosing: the defaults, one variable, one flag.
struct Layer {
    name: String,
    data: Dict,
}

impl Layer {
    fn new(name: impl Into<String>, dicts: impl Iterator<Item = Dict>) -> Self {
        let mut data = Dict::new();
        for dict in dicts {
            data.extend(dict);
        }
        Self {
            name: name.into(),
            data,
        }
    }

    fn one(name: impl Into<String>, key: &str, value: Value) -> Self {
        let dict = match figment::util::nest(key, value) {
            Value::Dict(_, dict) => dict,
            _ => Dict::new(),
        };
        Self::new(name, std::iter::once(dict))
    }
}

impl Provider for Layer {
    fn metadata(&self) -> Metadata {
        Metadata::named(self.name.clone())
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        Ok(Profile::Default.collect(self.data.clone()))
    }
}
