//! `paycode code`: the next code of a wallet, as text, digits, QR symbol
//! and barcode; one-way, capped, or for a terminal's challenge.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::ValueEnum;
use paycode::codec::to_hex;
use paycode::{Challenge, Ed25519Wallet, HmacWallet, Profile, Purpose};
use paycode_cli::files::WalletFile;
use paycode_cli::fsio::{self, Locked};
use paycode_cli::{FileError, Role};
use paycode_render::barcode::Barcode;
use paycode_render::qr::Symbol;
use serde::Serialize;

use super::{Done, EXIT_OK, Error, Usage, now_or, print_json};

/// Pixels per module of SVG and PNG output.
const MODULE_PX: u8 = 8;
/// Pixels per module of the Code 128 barcode's PNG (its modules are narrow; 187 of them).
const BARCODE_MODULE_PX: u8 = 3;

/// `paycode code`.
#[derive(clap::Args)]
pub struct Args {
    /// The wallet file; locked while its counter advances.
    #[arg(long)]
    wallet: PathBuf,
    /// Unix time to generate for (default: the system clock).
    #[arg(long)]
    at: Option<u64>,
    /// Print JSON (fields without a value are left out).
    #[arg(long)]
    json: bool,
    /// Print only this, on one line: for shell variables and pipes.
    #[arg(long, value_enum, conflicts_with = "json")]
    only: Option<Field>,
    // Last: a heading applies to the options after it.
    #[command(flatten)]
    purpose: PurposeArgs,
    #[command(flatten)]
    images: ImageArgs,
}

/// What the code is made for: a one-way code unless one of these is given.
/// The cap, or the challenge's terminal and amount, is printed before the
/// code, for the payer to confirm (spec: R-GEN-5).
#[derive(clap::Args)]
#[group(id = "purpose", multiple = false)]
#[command(next_help_heading = "Capped and challenge codes")]
pub struct PurposeArgs {
    /// A capped code: no payment above AMOUNT (minor units, 0 to
    /// 4294967295) is accepted. QR text only; no numeric form.
    #[arg(long, value_name = "AMOUNT")]
    cap: Option<u32>,
    /// A code for a terminal's challenge (`PT3:...`, which `terminal
    /// challenge` prints): accepted only at that terminal, for that amount,
    /// while the challenge is open, once. QR text only; no numeric form.
    #[arg(long, value_name = "TEXT")]
    challenge: Option<OsString>,
    /// As --challenge, read from the challenge's QR symbol in a PNG or JPEG
    /// image.
    #[cfg(feature = "scan")]
    #[arg(long, value_name = "IMAGE")]
    challenge_image: Option<PathBuf>,
}

/// A code's purpose, as the options give it.
enum Made {
    OneWay,
    Capped(u32),
    Challenge(Challenge),
}

impl Made {
    const fn purpose(&self) -> Purpose<'_> {
        match self {
            Made::OneWay => Purpose::OneWay,
            Made::Capped(cap) => Purpose::Capped(*cap),
            Made::Challenge(c) => Purpose::Challenge(c),
        }
    }
}

impl PurposeArgs {
    /// The purpose the options name; a challenge is decoded here, before
    /// the wallet is touched.
    fn made(&self) -> Result<Made, Error> {
        if let Some(cap) = self.cap {
            return Ok(Made::Capped(cap));
        }
        // Non-UTF-8 bytes become U+FFFD, which no challenge contains: `malformed`.
        let text = match &self.challenge {
            Some(t) => t.to_string_lossy().into_owned(),
            #[cfg(feature = "scan")]
            None if self.challenge_image.is_some() => {
                self.challenge_image.as_deref().map(super::scan::qr_text).transpose()?.unwrap_or_default()
            }
            None => return Ok(Made::OneWay),
        };
        // spec: R-GEN-5: no code for a challenge that does not decode.
        Challenge::parse(&text).map(Made::Challenge).map_err(Error::Challenge)
    }
}

/// Where `code` draws the code.
#[derive(clap::Args)]
#[command(next_help_heading = "Images")]
pub struct ImageArgs {
    /// Also show the QR symbol: in the terminal, or as SVG or PNG into --out.
    #[arg(long, value_enum)]
    qr: Option<QrOutput>,
    /// Output file for --qr svg|png, or for --barcode. Not a symbolic link,
    /// nor the wallet or another key file; replaced atomically.
    #[arg(long)]
    out: Option<PathBuf>,
    /// hmac wallets: also write the numeric form as a Code 128 barcode, SVG or
    /// PNG, into --out (or --barcode-out when --qr writes --out).
    #[arg(long, value_enum)]
    barcode: Option<ImageFormat>,
    /// Output file for --barcode when --out holds the QR symbol.
    #[arg(long, requires = "barcode")]
    barcode_out: Option<PathBuf>,
}

/// Where the QR symbol goes.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum QrOutput {
    /// Drawn in the terminal.
    Term,
    /// An SVG file.
    Svg,
    /// A PNG file.
    Png,
}

/// An image file format.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImageFormat {
    /// SVG.
    Svg,
    /// PNG.
    Png,
}

impl ImageFormat {
    /// The format's name in messages.
    pub(super) const fn name(self) -> &'static str {
        match self {
            ImageFormat::Svg => "SVG",
            ImageFormat::Png => "PNG",
        }
    }
}

/// What `--only` prints.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Field {
    /// The QR text, `PC3:...`.
    Text,
    /// The 24 digits of the numeric form (hmac wallets).
    Digits,
}

/// One image to write: where, in which format, and what it shows.
struct Target<'a> {
    path: &'a Path,
    role: Role,
    format: ImageFormat,
}

impl ImageArgs {
    /// The QR file, if --qr writes one.
    fn qr_target(&self) -> Result<Option<Target<'_>>, Error> {
        let format = match self.qr {
            Some(QrOutput::Svg) => ImageFormat::Svg,
            Some(QrOutput::Png) => ImageFormat::Png,
            _ => return Ok(None),
        };
        let path = self.out.as_deref().ok_or(Usage::QrNeedsOut)?;
        Ok(Some(Target { path, role: Role::QrImage, format }))
    }

    /// The barcode file, if --barcode is given.
    fn barcode_target(&self) -> Result<Option<Target<'_>>, Error> {
        let Some(format) = self.barcode else { return Ok(None) };
        let out = if self.qr_target()?.is_some() { None } else { self.out.as_deref() };
        let path = self.barcode_out.as_deref().or(out).ok_or(Usage::BarcodeNeedsOut)?;
        Ok(Some(Target { path, role: Role::BarcodeImage, format }))
    }
}

/// What `code --json` prints; absent fields are left out.
#[derive(Serialize)]
struct Printed<'a> {
    profile: Profile,
    mode: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    cap: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    challenge: Option<Terms>,
    step: u64,
    /// The counter the wallet used.
    counter: u32,
    /// hmac: the account's handle for the step (16 hex digits), which the
    /// code carries instead of the account id.
    #[serde(skip_serializing_if = "Option::is_none")]
    handle: Option<String>,
    /// hmac: the counter as the QR form carries it, masked with the step's pad.
    #[serde(skip_serializing_if = "Option::is_none")]
    masked_counter: Option<u32>,
    text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    digits: Option<&'a str>,
    /// The numeric form's 30-bit handle.
    #[serde(skip_serializing_if = "Option::is_none")]
    handle30: Option<u32>,
    /// The counter as the numeric form carries it, masked with the step's 16-bit pad.
    #[serde(skip_serializing_if = "Option::is_none")]
    masked_counter16: Option<u16>,
    payload: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    qr_version: Option<i16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    qr_file: Option<&'a Path>,
    #[serde(skip_serializing_if = "Option::is_none")]
    barcode_file: Option<&'a Path>,
}

/// A challenge's terms, as `code --json` shows them to the payer.
#[derive(Serialize)]
struct Terms {
    terminal_id: u32,
    amount: u64,
    issued_at: u64,
}

/// Runs `code`: every option is checked, and every image written beside its
/// path, before the counter moves; the counter is saved before the code is
/// shown (spec: R-GEN-1), under the wallet file's lock, so that no two
/// processes use one counter (spec: R-GEN-3).
pub fn run(args: &Args) -> Result<u8, Error> {
    let now = now_or(args.at);
    let made = args.purpose.made()?;
    let lock = Locked::acquire_existing(&args.wallet, Role::Wallet)?;
    let mut file = WalletFile::load_locked(&lock)?;
    let (qr_target, barcode_target) = (args.images.qr_target()?, args.images.barcode_target()?);
    if barcode_target.is_some() && file.profile != Profile::Hmac {
        return Err(Usage::BarcodeNeedsHmac.into());
    }
    if args.only == Some(Field::Digits) && file.profile != Profile::Hmac {
        return Err(Usage::DigitsNeedHmac.into());
    }
    let wants_digits = barcode_target.is_some() || args.only == Some(Field::Digits);
    if wants_digits && !matches!(made, Made::OneWay) {
        // spec: R-HMAC-4: `numeric-unavailable`, before the counter moves.
        return Err(Usage::NoNumericFormInMode.into());
    }
    let protect = [(args.wallet.as_path(), Role::Wallet)];
    let targets: Vec<&Target<'_>> = qr_target.iter().chain(barcode_target.iter()).collect();
    for t in &targets {
        fsio::check_output(t.path, t.role, &protect)?;
    }
    if let (Some(q), Some(b)) = (&qr_target, &barcode_target)
        && fsio::same_output(q.path, b.path)
    {
        return Err(Usage::SameOutput.into());
    }

    let g = generate(&mut file, &args.wallet, now, made.purpose())?;
    let symbol = args.images.qr.map(|_| Symbol::new(&g.text)).transpose()?;
    let mut images: Vec<(&Target<'_>, Vec<u8>)> = Vec::new();
    if let (Some(t), Some(s)) = (&qr_target, &symbol) {
        images.push((t, render_qr(s, t.format)));
    }
    if wants_digits && g.digits.is_none() {
        // Refused before the counter is saved: no counter value is spent.
        return Err(Usage::NoNumericForm.into());
    }
    if let (Some(t), Some(d)) = (&barcode_target, &g.digits) {
        images.push((t, render_barcode(d, t.format)?));
    }
    // Every image is written in full beside its path before the counter is
    // saved: one that cannot be written spends no counter value.
    let staged = images
        .iter()
        .map(|(t, bytes)| fsio::stage_output(t.path, t.role, bytes, &protect))
        .collect::<Result<Vec<_>, _>>()?;
    // spec: R-GEN-1: the counter is saved before the code is shown, in an
    // image as on the terminal.
    lock.write(&file, true)?;
    drop(lock);
    place(staged, &protect)?;

    // The counter is spent: a code that cannot be printed says so.
    print(args, file.profile, &made, &g, symbol.as_ref(), &images).map_err(|e| {
        e.after(|| Done::CodeSpent { images: images.iter().map(|(t, _)| t.path.to_path_buf()).collect() })
    })?;
    Ok(EXIT_OK)
}

/// Puts the staged images in place, in turn, once the wallet's counter is
/// saved: an image that cannot be says that the code's counter value is
/// spent, and which images were put in place before it.
fn place(staged: Vec<fsio::Staged>, protect: &[(&Path, Role)]) -> Result<(), Error> {
    let mut placed = Vec::new();
    for s in staged {
        let path = s.given().to_path_buf();
        s.place(protect)
            .map_err(|source| Error::After { source, done: Done::ImageSpent { placed: placed.clone() } })?;
        placed.push(path);
    }
    Ok(())
}

/// A generated code, in every form `code` prints.
struct Generated {
    text: String,
    digits: Option<String>,
    step: u64,
    /// The counter the wallet used (an hmac code carries it masked).
    counter: u32,
    payload: String,
    /// hmac: what the code carries instead of the account id and counter.
    hidden: Option<Hidden>,
}

/// An hmac code's handle and masked counter, in the QR form and, if it has
/// one, the numeric form (spec: R-HANDLE-2).
struct Hidden {
    handle: [u8; 8],
    masked_counter: u32,
    numeric: Option<(u32, u16)>,
}

/// Generates the wallet's next code at `now` for `purpose` and advances its
/// counter in `file` (which the caller saves before showing the code).
fn generate(file: &mut WalletFile, path: &Path, now: u64, purpose: Purpose<'_>) -> Result<Generated, Error> {
    let content = || FileError::content(Role::Wallet, path);
    let params = file.params.params().map_err(content())?;
    let seed = file.seed().map_err(content())?;
    Ok(match file.profile {
        Profile::Hmac => {
            let id = file
                .account_id
                .ok_or(paycode_cli::ContentError::Missing { field: "account_id" })
                .map_err(content())?;
            let counter = file.next_counter;
            let mut w = HmacWallet::new(params, id, &seed, counter);
            let c = w.generate_for(now, purpose)?;
            file.next_counter = w.next_counter();
            let numeric = w.numeric(&c).ok();
            Generated {
                text: c.to_qr_text(),
                digits: numeric.map(|n| n.to_digits()),
                step: c.step(),
                counter,
                payload: to_hex(&c.encode()),
                hidden: Some(Hidden {
                    handle: c.handle(),
                    masked_counter: c.masked_counter(),
                    numeric: numeric.map(|n| (n.handle30(), n.masked_counter())),
                }),
            }
        }
        Profile::Ed25519 => {
            let batch = file.batch().map_err(content())?;
            // spec: R-BATCH-4: the next credential in turn, with its own counter.
            let mut w = Ed25519Wallet::batch(params, &seed, &batch)?;
            let c = w.generate_for(now, purpose)?;
            file.set_batch(&w.credentials());
            Generated {
                text: c.to_qr_text(),
                digits: None,
                step: c.step(),
                counter: c.counter(),
                payload: to_hex(c.encode()),
                hidden: None,
            }
        }
    })
}

/// Prints the code as `--only`, `--json` or text ask, and names every image
/// written. A capped or challenge code's terms come first (spec: R-GEN-5):
/// with `--only`, on standard error, so that standard output holds the one
/// value.
fn print(
    args: &Args,
    profile: Profile,
    made: &Made,
    g: &Generated,
    symbol: Option<&Symbol>,
    images: &[(&Target<'_>, Vec<u8>)],
) -> Result<(), Error> {
    let terms = match made {
        Made::OneWay => None,
        Made::Capped(cap) => Some(format!("cap: {cap} (no payment above it)")),
        Made::Challenge(c) => Some(format!(
            "challenge: pay {} to terminal {} (issued at {})",
            c.amount(),
            c.terminal_id(),
            c.issued_at()
        )),
    };
    if let (Some(line), Some(_)) = (&terms, args.only) {
        errln!("{line}");
    }
    match args.only {
        Some(Field::Text) => outln!("{}", g.text)?,
        Some(Field::Digits) => outln!("{}", g.digits.as_deref().unwrap_or_default())?,
        None if args.json => print_json(&Printed {
            profile,
            mode: made.purpose().mode().name(),
            cap: made.purpose().mode().cap(),
            challenge: match made {
                Made::Challenge(c) => {
                    Some(Terms { terminal_id: c.terminal_id(), amount: c.amount(), issued_at: c.issued_at() })
                }
                Made::OneWay | Made::Capped(_) => None,
            },
            step: g.step,
            counter: g.counter,
            handle: g.hidden.as_ref().map(|h| to_hex(&h.handle)),
            masked_counter: g.hidden.as_ref().map(|h| h.masked_counter),
            text: &g.text,
            digits: g.digits.as_deref(),
            handle30: g.hidden.as_ref().and_then(|h| h.numeric).map(|n| n.0),
            masked_counter16: g.hidden.as_ref().and_then(|h| h.numeric).map(|n| n.1),
            payload: &g.payload,
            qr_version: symbol.map(Symbol::version),
            qr_file: file_of(images, Role::QrImage),
            barcode_file: file_of(images, Role::BarcodeImage),
        })?,
        None => {
            if let Some(line) = &terms {
                outln!("{line}")?;
            }
            if let (Some(QrOutput::Term), Some(s)) = (args.images.qr, symbol) {
                outln!("{}", s.to_terminal())?;
            }
            outln!("text: {}", g.text)?;
            if let Some(d) = &g.digits {
                outln!("digits: {d}")?;
            }
        }
    }
    // Every image written is named; with --only, on standard error, so that
    // standard output holds the one value.
    for (t, _) in images {
        let what = if t.role == Role::QrImage { "QR code" } else { "barcode" };
        let line = format!("wrote {} ({what}, {})", t.path.display(), t.format.name());
        if args.only.is_some() {
            errln!("{line}")
        } else if !args.json {
            outln!("{line}")?
        }
    }
    Ok(())
}

fn file_of<'a>(images: &[(&Target<'a>, Vec<u8>)], role: Role) -> Option<&'a Path> {
    images.iter().find(|(t, _)| t.role == role).map(|(t, _)| t.path)
}

/// The QR symbol as an image file's bytes.
pub(super) fn render_qr(symbol: &Symbol, format: ImageFormat) -> Vec<u8> {
    match format {
        ImageFormat::Svg => symbol.to_svg(MODULE_PX.into()).into_bytes(),
        ImageFormat::Png => symbol.to_png(MODULE_PX),
    }
}

fn render_barcode(digits: &str, format: ImageFormat) -> Result<Vec<u8>, Error> {
    let b = Barcode::new(digits).map_err(Error::Barcode)?;
    Ok(match format {
        ImageFormat::Svg => b.to_svg(BARCODE_MODULE_PX.into()).into_bytes(),
        ImageFormat::Png => b.to_png(BARCODE_MODULE_PX),
    })
}

#[cfg(test)]
mod tests {
    use paycode_test_support::TempDir;

    use super::*;

    /// An image that cannot be put in place once the counter is saved (here
    /// a folder made at its path after it was staged) says that the code's
    /// counter value is spent, and names the image already in place.
    #[test]
    fn an_image_not_put_in_place_says_the_counter_value_is_spent() {
        let dir = TempDir::new("code-place");
        let (q, b) = (dir.join("q.png"), dir.join("b.png"));
        let staged = vec![
            fsio::stage_output(&q, Role::QrImage, b"qr", &[]).unwrap(),
            fsio::stage_output(&b, Role::BarcodeImage, b"barcode", &[]).unwrap(),
        ];
        std::fs::create_dir(&b).unwrap();
        let err = place(staged, &[]).unwrap_err().to_string();
        assert!(err.contains("barcode image") && err.contains("b.png"), "{err}");
        assert!(err.contains("so the code's counter value is spent"), "{err}");
        assert!(err.contains(&format!("the code was written to {} only", q.display())), "{err}");
        assert_eq!(std::fs::read(&q).unwrap(), b"qr");
        assert_eq!(dir.names().into_iter().collect::<Vec<_>>(), ["b.png", "q.png"]);

        // The first image: none is in place.
        let q2 = dir.join("q2.png");
        let staged = vec![fsio::stage_output(&q2, Role::QrImage, b"qr", &[]).unwrap()];
        std::fs::create_dir(&q2).unwrap();
        let err = place(staged, &[]).unwrap_err().to_string();
        assert!(err.contains("QR image") && err.contains("so the code's counter value is spent"), "{err}");
        assert!(!err.contains("written to"), "{err}");
        assert_eq!(dir.names().into_iter().collect::<Vec<_>>(), ["b.png", "q.png", "q2.png"]);
    }
}
