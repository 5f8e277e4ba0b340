//! Installing the pinned packages into `$GOVPROOF_HOME/toolchains/<pin set id>/`.
//!
//! The install is:
//! - **checked**: every tarball's SHA-512 must equal its pin before anything is unpacked;
//! - **atomic**: everything is built in a staging folder next to the final one and renamed into
//!   place last, so a crash or an error leaves either the old state or the complete new one, and a
//!   folder without its `manifest.json` is never used;
//! - **serialized**: a lock file makes a second concurrent install wait, then find the first one's
//!   result;
//! - **idempotent**: an existing, complete install is reused without touching the network.
//!
//! npm is used only to fetch tarballs (`npm pack`), through the machine's own npm configuration;
//! no registry is named here.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};
use std::process::Command;

use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha512};

use crate::error::{tail, ToolchainError};
use crate::pins::{bb_platform, pin_set_id, PinnedPackage, Unpack, BB_VERSION, NOIR_VERSION};

const MANIFEST: &str = "manifest.json";
const COMPILE_SCRIPT: &str = include_str!("compile.cjs");

/// What an install records about itself; its presence marks an install as complete.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The pin set id (also the folder name).
    pub pin_set: String,
    /// `name@version` and integrity of each package, in pin order.
    pub packages: Vec<(String, String)>,
    /// What `bb --version` printed at install time.
    pub bb_version: String,
    /// The Noir version the compiler package provides.
    pub noir_version: String,
}

/// An installed, complete toolchain.
#[derive(Debug, Clone)]
pub struct Installed {
    dir: PathBuf,
    manifest: Manifest,
}

/// Whether an install did work or found one already there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstallOutcome {
    /// Packages were fetched, checked and unpacked now.
    Installed,
    /// A complete install for these pins was already present.
    AlreadyPresent,
}

impl Installed {
    /// The install folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What the install recorded.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The `bb` binary.
    pub fn bb(&self) -> PathBuf {
        self.dir.join("bin").join(bb_exe_name())
    }

    /// The `node_modules` folder holding the Noir compiler.
    pub fn node_modules(&self) -> PathBuf {
        self.dir.join("node_modules")
    }

    /// The node script that drives the compiler.
    pub fn compile_script(&self) -> PathBuf {
        self.dir.join("compile.cjs")
    }
}

fn bb_exe_name() -> &'static str {
    if cfg!(windows) {
        "bb.exe"
    } else {
        "bb"
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ToolchainError + '_ {
    move |source| ToolchainError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Where installs for a pin set live under `home`.
pub fn install_dir(home: &Path, pins: &[PinnedPackage]) -> PathBuf {
    home.join("toolchains").join(pin_set_id(pins))
}

/// The complete install for `pins` under `home`, if there is one.
pub fn find_installed(
    home: &Path,
    pins: &[PinnedPackage],
) -> Result<Option<Installed>, ToolchainError> {
    let dir = install_dir(home, pins);
    let manifest_path = dir.join(MANIFEST);
    let text = match fs::read_to_string(&manifest_path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err(&manifest_path)(e)),
    };
    let manifest: Manifest =
        serde_json::from_str(&text).map_err(|e| ToolchainError::CorruptInstall {
            path: manifest_path.clone(),
            reason: e.to_string(),
        })?;
    if manifest.pin_set != pin_set_id(pins) {
        return Err(ToolchainError::CorruptInstall {
            path: manifest_path,
            reason: "recorded pin set does not match its folder".into(),
        });
    }
    let installed = Installed { dir, manifest };
    if !installed.bb().is_file() || !installed.compile_script().is_file() {
        return Err(ToolchainError::CorruptInstall {
            path: installed.dir.clone(),
            reason:
                "bb or the compiler script is missing; delete the folder and run `govproof setup`"
                    .into(),
        });
    }
    Ok(Some(installed))
}

/// Checks that `program --version` runs; returns what it printed.
pub fn tool_version(program: &str) -> Result<String, ToolchainError> {
    let out = Command::new(program)
        .arg("--version")
        .output()
        .map_err(|source| ToolchainError::Missing {
            tool: program.to_string(),
            source,
        })?;
    if !out.status.success() {
        return Err(ToolchainError::Failed {
            command: format!("{program} --version"),
            status: out.status.to_string(),
            stderr_tail: tail(&out.stderr),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Installs `pins` under `home` unless a complete install is there; `progress` hears each step.
pub fn install(
    home: &Path,
    pins: &[PinnedPackage],
    progress: &mut dyn FnMut(&str),
) -> Result<(Installed, InstallOutcome), ToolchainError> {
    let toolchains = home.join("toolchains");
    fs::create_dir_all(&toolchains).map_err(io_err(&toolchains))?;
    let lock_path = toolchains.join(".install.lock");
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(io_err(&lock_path))?;
    if lock.try_lock().is_err() {
        progress("another govproof setup is running; waiting for it to finish");
        lock.lock().map_err(io_err(&lock_path))?;
    }
    // The lock is released when `lock` drops, at the end of this function.
    if let Some(found) = find_installed(home, pins)? {
        return Ok((found, InstallOutcome::AlreadyPresent));
    }
    let node = tool_version("node")?;
    check_node_version(&node)?;
    tool_version("npm")?;
    let platform = bb_platform().ok_or_else(|| ToolchainError::UnsupportedPlatform {
        arch: std::env::consts::ARCH.into(),
        os: std::env::consts::OS.into(),
    })?;

    let staging = tempfile::Builder::new()
        .prefix(".staging-")
        .tempdir_in(&toolchains)
        .map_err(io_err(&toolchains))?;
    let tarballs = staging.path().join("tarballs");
    fs::create_dir_all(&tarballs).map_err(io_err(&tarballs))?;
    let tree = staging.path().join("tree");
    fs::create_dir_all(tree.join("bin")).map_err(io_err(&tree))?;

    progress("fetching the pinned packages with npm");
    let files = npm_pack(pins, &tarballs)?;
    for (pin, file) in pins.iter().zip(&files) {
        progress(&format!("checking {}", pin.spec()));
        verify_integrity(pin, file)?;
    }
    for (pin, file) in pins.iter().zip(&files) {
        progress(&format!("unpacking {}", pin.spec()));
        match pin.unpack {
            Unpack::NodeModule => unpack_node_module(pin, file, &tree.join("node_modules"))?,
            Unpack::BbBinary => unpack_bb(pin, file, platform, &tree.join("bin"))?,
        }
    }
    let script = tree.join("compile.cjs");
    write_synced(&script, COMPILE_SCRIPT.as_bytes())?;

    let bb = tree.join("bin").join(bb_exe_name());
    let bb_version = tool_version(&bb.to_string_lossy())?;
    if !bb_version.starts_with(BB_VERSION) {
        return Err(ToolchainError::WrongVersion {
            tool: "bb".into(),
            expected: BB_VERSION.into(),
            found: bb_version,
        });
    }
    let manifest = Manifest {
        pin_set: pin_set_id(pins),
        packages: pins
            .iter()
            .map(|p| (p.spec(), p.integrity.to_string()))
            .collect(),
        bb_version,
        noir_version: NOIR_VERSION.into(),
    };
    let manifest_json =
        serde_json::to_vec_pretty(&manifest).map_err(|e| ToolchainError::CorruptInstall {
            path: tree.join(MANIFEST),
            reason: e.to_string(),
        })?;
    write_synced(&tree.join(MANIFEST), &manifest_json)?;
    sync_dir(&tree)?;

    let dest = install_dir(home, pins);
    if dest.exists() {
        // A folder without a manifest is a leftover of an older, interrupted layout: replace it.
        fs::remove_dir_all(&dest).map_err(io_err(&dest))?;
    }
    fs::rename(&tree, &dest).map_err(io_err(&dest))?;
    sync_dir(&toolchains)?;
    drop(staging);
    Ok((
        Installed {
            dir: dest,
            manifest,
        },
        InstallOutcome::Installed,
    ))
}

fn check_node_version(version: &str) -> Result<(), ToolchainError> {
    let major: Option<u32> = version
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok());
    match major {
        Some(m) if m >= 18 => Ok(()),
        _ => Err(ToolchainError::WrongVersion {
            tool: "node".into(),
            expected: "18 or newer".into(),
            found: version.into(),
        }),
    }
}

#[derive(Deserialize)]
struct PackResult {
    id: String,
    filename: String,
}

fn npm_pack(pins: &[PinnedPackage], dest: &Path) -> Result<Vec<PathBuf>, ToolchainError> {
    let mut cmd = Command::new("npm");
    cmd.arg("pack")
        .arg("--json")
        .arg("--pack-destination")
        .arg(dest)
        .args(pins.iter().map(|p| p.spec()))
        .current_dir(dest)
        .env("npm_config_update_notifier", "false")
        .env("npm_config_fund", "false")
        .env("npm_config_audit", "false");
    let shown = format!(
        "npm pack {}",
        pins.iter().map(|p| p.spec()).collect::<Vec<_>>().join(" ")
    );
    let out = cmd.output().map_err(|source| ToolchainError::Missing {
        tool: "npm".into(),
        source,
    })?;
    if !out.status.success() {
        let stderr_tail = tail(&out.stderr);
        let offline = [
            "ENOTFOUND",
            "EAI_AGAIN",
            "ETIMEDOUT",
            "ECONNREFUSED",
            "ENETUNREACH",
        ]
        .iter()
        .any(|code| stderr_tail.contains(code));
        return Err(if offline {
            ToolchainError::Offline {
                command: shown,
                stderr_tail,
            }
        } else {
            ToolchainError::Failed {
                command: shown,
                status: out.status.to_string(),
                stderr_tail,
            }
        });
    }
    let results: Vec<PackResult> =
        serde_json::from_slice(&out.stdout).map_err(|e| ToolchainError::Failed {
            command: shown.clone(),
            status: format!("unreadable output ({e})"),
            stderr_tail: tail(&out.stdout),
        })?;
    pins.iter()
        .map(|pin| {
            results
                .iter()
                .find(|r| r.id == pin.spec())
                .map(|r| dest.join(&r.filename))
                .ok_or_else(|| ToolchainError::Failed {
                    command: shown.clone(),
                    status: format!("no tarball reported for `{}`", pin.spec()),
                    stderr_tail: tail(&out.stderr),
                })
        })
        .collect()
}

/// Checks a tarball against its pinned SRI integrity (`sha512-<base64>`).
pub fn verify_integrity(pin: &PinnedPackage, file: &Path) -> Result<(), ToolchainError> {
    let mut f = File::open(file).map_err(io_err(file))?;
    let mut hasher = Sha512::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(io_err(file))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    let actual = format!(
        "sha512-{}",
        base64::engine::general_purpose::STANDARD.encode(hasher.finalize())
    );
    if actual != pin.integrity {
        return Err(ToolchainError::HashMismatch {
            package: pin.spec(),
            expected: pin.integrity.to_string(),
            actual,
        });
    }
    Ok(())
}

/// The path of a tarball entry below `package/`, refusing anything that could escape the target.
fn package_relative(pin: &PinnedPackage, path: &Path) -> Result<PathBuf, ToolchainError> {
    let rest = path
        .strip_prefix("package")
        .map_err(|_| ToolchainError::BadTarball {
            package: pin.spec(),
            reason: format!("entry `{}` is outside `package/`", path.display()),
        })?;
    if rest
        .components()
        .any(|c| !matches!(c, Component::Normal(_)))
    {
        return Err(ToolchainError::BadTarball {
            package: pin.spec(),
            reason: format!("entry `{}` is not a plain relative path", path.display()),
        });
    }
    Ok(rest.to_path_buf())
}

fn open_tarball(
    file: &Path,
) -> Result<tar::Archive<flate2::read::GzDecoder<File>>, ToolchainError> {
    let f = File::open(file).map_err(io_err(file))?;
    Ok(tar::Archive::new(flate2::read::GzDecoder::new(f)))
}

fn bad_tar(pin: &PinnedPackage) -> impl Fn(std::io::Error) -> ToolchainError + '_ {
    move |e| ToolchainError::BadTarball {
        package: pin.spec(),
        reason: e.to_string(),
    }
}

fn unpack_node_module(
    pin: &PinnedPackage,
    file: &Path,
    node_modules: &Path,
) -> Result<(), ToolchainError> {
    let target = node_modules.join(pin.name);
    fs::create_dir_all(&target).map_err(io_err(&target))?;
    let mut archive = open_tarball(file)?;
    for entry in archive.entries().map_err(bad_tar(pin))? {
        let mut entry = entry.map_err(bad_tar(pin))?;
        let path = entry.path().map_err(bad_tar(pin))?.into_owned();
        let rel = package_relative(pin, &path)?;
        let kind = entry.header().entry_type();
        if kind.is_dir() {
            continue;
        }
        if !kind.is_file() {
            return Err(ToolchainError::BadTarball {
                package: pin.spec(),
                reason: format!("entry `{}` is not a regular file", path.display()),
            });
        }
        let out = target.join(rel);
        if let Some(parent) = out.parent() {
            fs::create_dir_all(parent).map_err(io_err(parent))?;
        }
        entry.unpack(&out).map_err(bad_tar(pin))?;
    }
    if !target.join("package.json").is_file() {
        return Err(ToolchainError::BadTarball {
            package: pin.spec(),
            reason: "no package.json".into(),
        });
    }
    Ok(())
}

fn unpack_bb(
    pin: &PinnedPackage,
    file: &Path,
    platform: &str,
    bin: &Path,
) -> Result<(), ToolchainError> {
    let wanted = Path::new("package")
        .join("build")
        .join(platform)
        .join(bb_exe_name());
    let mut archive = open_tarball(file)?;
    for entry in archive.entries().map_err(bad_tar(pin))? {
        let mut entry = entry.map_err(bad_tar(pin))?;
        if entry.path().map_err(bad_tar(pin))?.as_ref() != wanted.as_path() {
            continue;
        }
        let out = bin.join(bb_exe_name());
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).map_err(bad_tar(pin))?;
        write_synced(&out, &bytes)?;
        set_executable(&out)?;
        return Ok(());
    }
    Err(ToolchainError::BadTarball {
        package: pin.spec(),
        reason: format!("no `{}` for this platform", wanted.display()),
    })
}

#[cfg(unix)]
fn set_executable(path: &Path) -> Result<(), ToolchainError> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).map_err(io_err(path))
}

#[cfg(not(unix))]
fn set_executable(_path: &Path) -> Result<(), ToolchainError> {
    Ok(())
}

/// Writes a file and flushes it to disk before returning.
pub fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), ToolchainError> {
    let mut f = File::create(path).map_err(io_err(path))?;
    f.write_all(bytes).map_err(io_err(path))?;
    f.sync_all().map_err(io_err(path))
}

/// Flushes a folder's entries (new names, renames) to disk.
pub fn sync_dir(dir: &Path) -> Result<(), ToolchainError> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io_err(dir))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_versions_below_18_are_refused() {
        assert!(check_node_version("v20.20.2").is_ok());
        assert!(check_node_version("v16.1.0").is_err());
        assert!(check_node_version("garbage").is_err());
    }

    #[test]
    fn tarball_paths_cannot_escape() {
        let pin = &crate::pins::PINNED[0];
        assert!(package_relative(pin, Path::new("package/dist/x.js")).is_ok());
        assert!(package_relative(pin, Path::new("package/../../etc/passwd")).is_err());
        assert!(package_relative(pin, Path::new("other/x.js")).is_err());
    }
}
