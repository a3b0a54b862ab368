//! From the model to documents: the email HTML (CSS inlined), the plaintext and the web version.
//!
//! Rendering happens once per edition. The email HTML and the plaintext come out as
//! [`Template`]s with slots for the greeting and the unsubscribe URL; filling those in is all
//! the work done per subscriber.

pub mod archive;
pub mod assets;
pub mod calendar;
pub mod html;
pub mod markdown;
pub mod slots;
pub mod strings;
pub mod text;

use std::sync::LazyLock;

use css_inline::CSSInliner;

pub use assets::{Asset, Assets};
pub use slots::{Escape, Personal, Slot, Template};

use crate::edition::Edition;

/// An edition rendered once, ready to be personalised.
#[derive(Debug)]
pub struct Rendered {
    pub html: Template,
    pub text: Template,
    /// The public web version: complete, no slots, no personal data.
    pub web: String,
    pub assets: Assets,
    /// The events' calendar files, published beside the web version.
    pub calendars: Vec<calendar::CalendarFile>,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot inline the stylesheet: {0}")]
pub struct RenderError(#[from] css_inline::InlineError);

static INLINER: LazyLock<CSSInliner<'static>> = LazyLock::new(|| {
    CSSInliner::options()
        .load_remote_stylesheets(false)
        .keep_at_rules(true)
        .build()
});

/// Renders every document of an edition.
pub fn render(edition: &Edition) -> Result<Rendered, RenderError> {
    let assets = Assets::load(edition);
    let email = INLINER.inline(&html::render(edition, &assets, html::Target::Email))?;
    // A browser reads the stylesheet itself; inlining is for mail clients.
    let web = html::render(edition, &assets, html::Target::Web);
    Ok(Rendered {
        html: Template::parse(&email, Escape::Html),
        text: Template::parse(&text::render(edition), Escape::None),
        web,
        assets,
        calendars: calendar::files(edition),
    })
}
