//! The edition as HTML (maud): the email, and the web version from the same layout.
//!
//! The layout is the one that survives every client: a 600 px table column, centred, with
//! Outlook-for-Windows "ghost tables" in MSO conditional comments, fluid below 600 px through
//! `@media` rules, and dark colours through `prefers-color-scheme`. The stylesheet is written
//! once in `<style>`; css-inline (in [`super::render`]) then moves every ordinary rule into
//! `style` attributes.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::assets::{Asset, Assets, CONTENT_WIDTH};
use super::calendar;
use super::markdown::{self, Block, Inline};
use super::slots::Slot;
use super::strings::{Strings, strings};
use crate::edition::event::Event;
use crate::edition::{Edition, ImageMode, Item, Theme};

/// Which document is rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The message body, with slots for personal values.
    Email,
    /// The public page: landmarks, no personal data.
    Web,
}

struct Ctx<'a> {
    edition: &'a Edition,
    assets: &'a Assets,
    target: Target,
    words: &'static Strings,
}

/// Renders the whole document (before CSS inlining).
pub fn render(edition: &Edition, assets: &Assets, target: Target) -> String {
    let ctx = Ctx {
        edition,
        assets,
        target,
        words: strings(edition.newsletter.language),
    };
    ctx.document().into_string()
}

impl Ctx<'_> {
    fn document(&self) -> Markup {
        let content = &self.edition.content;
        let lang = self.edition.newsletter.language.code();
        html! {
            (DOCTYPE)
            // No `xmlns:o`/`xmlns:v` on <html>: they are not valid HTML, and nothing here uses VML.
            html lang=(lang) {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    meta name="x-apple-disable-message-reformatting" content="";
                    meta name="format-detection" content="telephone=no, date=no, address=no, email=no, url=no";
                    meta name="color-scheme" content="light dark";
                    meta name="supported-color-schemes" content="light dark";
                    title { (self.title()) }
                    @if self.target == Target::Email {
                        (PreEscaped(mso_head(&self.edition.newsletter.theme)))
                    }
                    style { (PreEscaped(stylesheet(&self.edition.newsletter.theme))) }
                    @if self.target == Target::Email {
                        style data-css-inline="keep" { (PreEscaped(outlook_dark(&self.edition.newsletter.theme))) }
                    }
                }
                body.body {
                    @if self.target == Target::Email {
                        @if let Some(pre) = &content.preheader {
                            div.preheader { (pre.get_ref()) (PreEscaped(PREHEADER_FILL)) }
                        }
                    }
                    div role=[(self.target == Target::Email).then_some("article")]
                        aria-roledescription=[(self.target == Target::Email).then_some("email")]
                        aria-label=[(self.target == Target::Email).then(|| self.title())]
                        lang=(lang) .canvas {
                        (self.landmark("header", self.masthead()))
                        (self.landmark("main", self.main()))
                        (self.landmark("footer", self.footer()))
                    }
                }
            }
        }
    }

    fn title(&self) -> String {
        match self.target {
            Target::Email => self.edition.content.subject.get_ref().to_string(),
            Target::Web => self.edition.content.title.get_ref().clone(),
        }
    }

    /// One centred 600 px band; Outlook on Windows ignores `max-width`, so it gets a table.
    fn band(&self, class: &str, rows: Markup) -> Markup {
        let mso = self.target == Target::Email;
        html! {
            @if mso {
                (PreEscaped(r#"<!--[if mso]><table role="presentation" align="center" width="600" cellpadding="0" cellspacing="0" border="0"><tr><td><![endif]-->"#))
            }
            div.container {
                table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" class=(class) {
                    (rows)
                }
            }
            @if mso {
                (PreEscaped("<!--[if mso]></td></tr></table><![endif]-->"))
            }
        }
    }

    fn landmark(&self, element: &str, inner: Markup) -> Markup {
        match (self.target, element) {
            (Target::Email, _) => inner,
            (Target::Web, "header") => html! { header { (inner) } },
            (Target::Web, "main") => html! { main { (inner) } },
            (Target::Web, _) => html! { footer { (inner) } },
        }
    }

    fn masthead(&self) -> Markup {
        let newsletter = &self.edition.newsletter;
        let logo = newsletter
            .theme
            .logo
            .as_ref()
            .zip(self.assets.logo.as_ref());
        self.band(
            "masthead",
            html! {
                tr { td.masthead-cell.px {
                    @if let Some((logo, asset)) = logo {
                        (self.img(asset, logo.alt.get_ref(), logo.width, "logo"))
                    }
                    h1 { (self.edition.content.title.get_ref()) }
                    p.description { (newsletter.description.get_ref()) }
                } }
            },
        )
    }

    fn main(&self) -> Markup {
        let content = &self.edition.content;
        let greeting = self.target == Target::Email && self.edition.newsletter.greeting.is_some();
        let mut n = 0;
        let mut next = || {
            n += 1;
            n - 1
        };
        self.band(
            "content",
            html! {
                @if greeting {
                    tr { td.px.greeting-cell { p.greeting { (Slot::Greeting.marker()) } } }
                }
                @if let Some(intro) = &content.intro {
                    (self.item(intro, 2, next(), "intro"))
                }
                @for section in &content.sections {
                    @if let Some(title) = &section.title {
                        tr { td.px.section-cell { h2.section-title { (title.get_ref()) } } }
                    }
                    @if let Some(intro) = &section.intro {
                        tr { td.px.section-intro { (blocks(&markdown::parse(intro.get_ref()).blocks)) } }
                    }
                    @let level = if section.title.is_some() { 3 } else { 2 };
                    @for item in &section.items {
                        (self.item(item, level, next(), "item"))
                    }
                }
                @if let Some(sign_off) = &content.sign_off {
                    tr { td.px.sign-off { (blocks(&markdown::parse(sign_off.get_ref()).blocks)) } }
                }
                tr { td.spacer { (PreEscaped("&nbsp;")) } }
            },
        )
    }

    fn item(&self, item: &Item, level: u8, n: usize, class: &str) -> Markup {
        let image = item.image.as_ref().zip(self.assets.image(n));
        html! {
            tr { td class={ "px " (class) } {
                @if let Some(kicker) = &item.kicker { p.kicker { (kicker.get_ref()) } }
                @if level == 2 { h2 { (item.title.get_ref()) } } @else { h3 { (item.title.get_ref()) } }
                @if let Some((image, asset)) = image {
                    @let alt = image.alt.as_ref().map_or("", |a| a.get_ref());
                    @if let Some(credit) = &image.credit {
                        (self.img(asset, alt, CONTENT_WIDTH, "fluid credited"))
                        p.credit { (credit.get_ref()) }
                    } @else {
                        (self.img(asset, alt, CONTENT_WIDTH, "fluid"))
                    }
                }
                (blocks(&markdown::parse(item.body.get_ref()).blocks))
                @if let Some(event) = &item.event {
                    (self.event(event, n))
                }
                @for link in item.all_links() {
                    @if link.button {
                        (self.button(link))
                    } @else {
                        p.more { a href=(link.url.get_ref().as_str()) { (link.text.get_ref()) } }
                    }
                }
            } }
        }
    }

    /// When and where, and a link to the calendar file: beside the page in the web version,
    /// on the web in the email.
    fn event(&self, event: &Event, n: usize) -> Markup {
        let words = self.words;
        let when = calendar::when_text(event, self.edition, words);
        let place = event.place_line();
        let file = calendar::file_name(n);
        let href = match self.target {
            Target::Email => format!("{}{file}", self.edition.web_url()),
            Target::Web => file,
        };
        html! {
            p.event {
                @if let Some(when) = &when {
                    strong { (words.when) ": " } (when)
                    @if place.is_some() { br; }
                }
                @if let Some(place) = &place {
                    strong { (words.place) ": " } (place)
                }
            }
            @if when.is_some() {
                p.more { a href=(href) { (words.add_to_calendar) } }
            }
        }
    }

    /// A link drawn as a button: a padded link everywhere, and for Outlook on Windows (which
    /// ignores padding on links) a VML rounded rectangle of the same size and colours, the
    /// "bulletproof button".
    fn button(&self, link: &crate::edition::Link) -> Markup {
        let theme = &self.edition.newsletter.theme;
        let (url, text) = (link.url.get_ref().as_str(), link.text.get_ref().as_str());
        let escaped = |s: &str| html! { (s) }.into_string();
        let width = (text.chars().count() * 10 + 48).clamp(120, 520);
        let vml = format!(
            "<!--[if mso]><v:roundrect xmlns:v=\"urn:schemas-microsoft-com:vml\" \
             xmlns:w=\"urn:schemas-microsoft-com:office:word\" href=\"{url}\" \
             style=\"height:44px;v-text-anchor:middle;width:{width}px;\" arcsize=\"10%\" \
             stroke=\"f\" fillcolor=\"{brand}\"><w:anchorlock/><center style=\"color:{on_brand};\
             font-family:{font};font-size:16px;font-weight:bold;\">{text}</center></v:roundrect>\
             <![endif]--><!--[if !mso]><!-->",
            url = escaped(url),
            text = escaped(text),
            brand = theme.brand.get_ref(),
            on_brand = theme.on_brand.get_ref(),
            font = theme.font.as_str(),
        );
        html! {
            p.button-row {
                (PreEscaped(vml))
                a.button href=(url) { (text) }
                (PreEscaped("<!--<![endif]-->"))
            }
        }
    }

    fn img(&self, asset: &Asset, alt: &str, max_width: u32, class: &str) -> Markup {
        let (width, height) = asset.display_size(max_width);
        let src = match (self.target, self.edition.newsletter.images) {
            (Target::Email, ImageMode::Embed) => format!("cid:{}", asset.name),
            (Target::Email, ImageMode::Link) => format!("{}{}", self.edition.web_url(), asset.name),
            (Target::Web, _) => asset.name.clone(),
        };
        html! {
            img class=(class) src=(src) alt=(alt) width=(width) height=(height)
                style=(format!("width:100%;max-width:{width}px;height:auto;"));
        }
    }

    fn footer(&self) -> Markup {
        let footer = &self.edition.newsletter.footer;
        let words = self.words;
        let web_url = self.edition.web_url();
        self.band(
            "footer",
            html! {
                tr { td.px.footer-cell {
                    p { (md_inline(footer.why.get_ref())) }
                    @if self.target == Target::Email {
                        p {
                            a href=(Slot::Unsubscribe.marker()) { (words.unsubscribe) }
                            " · "
                            @if self.edition.newsletter.manage.is_some() {
                                a href=(Slot::Manage.marker()) { (words.manage) }
                                " · "
                            }
                            a href=(web_url) { (words.view_online) }
                        }
                    }
                    p { (footer.organisation.get_ref()) }
                    @if let Some(contact) = &footer.contact { p { (md_inline(contact.get_ref())) } }
                } }
            },
        )
    }
}

/// A short Markdown text (footer lines) without its paragraph wrapper.
fn md_inline(source: &str) -> Markup {
    let body = markdown::parse(source);
    html! {
        @for (i, block) in body.blocks.iter().enumerate() {
            @if i > 0 { br; }
            @match block {
                Block::Paragraph(inlines) => (inlines_html(inlines)),
                Block::List { .. } | Block::Quote(_) | Block::Table { .. } => {
                    @for part in block.parts() { (inlines_html(part)) br; }
                },
            }
        }
    }
}

pub fn blocks(blocks: &[Block]) -> Markup {
    html! {
        @for block in blocks {
            @match block {
                Block::Paragraph(inlines) => p { (inlines_html(inlines)) },
                Block::List { ordered: true, items } => ol { @for i in items { li { (inlines_html(i)) } } },
                Block::List { ordered: false, items } => ul { @for i in items { li { (inlines_html(i)) } } },
                // A data table: the layout's tables are `role="presentation"`, this one is not.
                Block::Table { head, rows } => table.data {
                    thead { tr { @for cell in head { th scope="col" { (inlines_html(cell)) } } } }
                    tbody {
                        @for row in rows { tr { @for cell in row { td { (inlines_html(cell)) } } } }
                    }
                },
                Block::Quote(paragraphs) => blockquote class="quote" {
                    @for p in paragraphs {
                        @if markdown::is_attribution(p) {
                            p class="attribution" { (inlines_html(p)) }
                        } @else {
                            p { (inlines_html(p)) }
                        }
                    }
                },
            }
        }
    }
}

fn inlines_html(inlines: &[Inline]) -> Markup {
    html! {
        @for inline in inlines {
            @match inline {
                Inline::Text(t) => (t),
                Inline::Emphasis(c) => em { (inlines_html(c)) },
                Inline::Strong(c) => strong { (inlines_html(c)) },
                Inline::Code(t) => code { (t) },
                Inline::Link { url, children, .. } => a href=(url) { (inlines_html(children)) },
                Inline::Break => br;
            }
        }
    }
}

/// Outlook on Windows: 96 dpi so images keep their size, the theme's fonts everywhere (it
/// falls back to Times New Roman where a font stack has a web font first), and `mso-hide`,
/// which only Outlook knows, kept out of the standard CSS.
fn mso_head(theme: &Theme) -> String {
    format!(
        r#"<!--[if mso]><noscript><xml><o:OfficeDocumentSettings><o:AllowPNG/><o:PixelsPerInch>96</o:PixelsPerInch></o:OfficeDocumentSettings></xml></noscript><style>table,td,h1,h2,h3,p,li,a{{font-family:{};}}.preheader{{display:none!important;mso-hide:all;}}</style><![endif]-->"#,
        theme.font.as_str()
    )
}

/// Keeps inboxes from filling the preview line with the body's first words.
const PREHEADER_FILL: &str = "&#847; &zwnj; &nbsp; &#847; &zwnj; &nbsp; &#847; &zwnj; &nbsp; &#847; &zwnj; &nbsp; &#847; &zwnj; &nbsp; &#847; &zwnj; &nbsp; &#847; &zwnj; &nbsp; &#847; &zwnj; &nbsp;";

/// Outlook.com does not apply `prefers-color-scheme`; it marks rewritten elements with
/// `data-ogsc` (colour) and `data-ogsb` (background) instead. These rules match nothing when the
/// CSS is inlined, so they travel in a block that css-inline keeps as it is.
fn outlook_dark(theme: &Theme) -> String {
    let d = &theme.dark;
    format!(
        "[data-ogsb] .content{{background-color:{bg}!important;}}\
[data-ogsb] .masthead{{background-color:{brand}!important;}}\
[data-ogsc] h2,[data-ogsc] h3,[data-ogsc] p,[data-ogsc] li{{color:{text}!important;}}\
[data-ogsc] h1,[data-ogsc] .description{{color:{on_brand}!important;}}\
[data-ogsc] a{{color:{link}!important;}}",
        bg = d.background.get_ref(),
        brand = d.brand.get_ref(),
        text = d.text.get_ref(),
        on_brand = d.on_brand.get_ref(),
        link = d.link.get_ref(),
    )
}

fn stylesheet(theme: &Theme) -> String {
    let c = |color: &toml::Spanned<crate::edition::value::Color>| color.get_ref().to_string();
    let font = theme.font.as_str();
    let light = format!(
        "body{{margin:0;padding:0;width:100%;background-color:{canvas};-webkit-text-size-adjust:100%;}}\
.canvas{{background-color:{canvas};padding:16px 0;}}\
.container{{max-width:600px;margin:0 auto;}}\
table{{border-collapse:collapse;}}\
.masthead{{background-color:{brand};}}\
.content{{background-color:{bg};}}\
.px{{padding-left:24px;padding-right:24px;word-break:break-word;overflow-wrap:anywhere;}}\
.masthead-cell{{padding-top:24px;padding-bottom:24px;}}\
h1{{margin:0;font-family:{font};font-size:28px;line-height:34px;font-weight:bold;color:{on_brand};}}\
.description{{margin:8px 0 0;font-family:{font};font-size:16px;line-height:24px;color:{on_brand};}}\
.logo{{display:block;margin:0 0 16px;border:0;}}\
h2{{margin:0 0 12px;font-family:{font};font-size:22px;line-height:28px;font-weight:bold;color:{text};}}\
h3{{margin:0 0 12px;font-family:{font};font-size:19px;line-height:26px;font-weight:bold;color:{text};}}\
p{{margin:0 0 16px;font-family:{font};font-size:16px;line-height:24px;color:{text};}}\
ul,ol{{margin:0 0 16px;padding-left:24px;}}\
li{{margin:0 0 8px;font-family:{font};font-size:16px;line-height:24px;color:{text};}}\
a{{color:{link};text-decoration:underline;}}\
.intro,.item{{padding-top:24px;}}\
.greeting-cell{{padding-top:24px;}}\
.greeting{{margin:0;}}\
.section-cell{{padding-top:32px;}}\
.section-title{{margin:0;padding-top:16px;border-top:2px solid {brand};}}\
.kicker{{margin:0 0 4px;font-size:14px;line-height:20px;font-weight:bold;color:{muted};}}\
.fluid{{display:block;border:0;margin:0 0 16px;}}\
.credited{{margin-bottom:0;}}\
.credit{{margin:8px 0 16px;font-size:14px;line-height:20px;color:{muted};}}\
.more{{font-weight:bold;}}\
.section-intro{{padding-top:12px;}}\
.sign-off{{padding-top:24px;}}\
.spacer{{font-size:8px;line-height:8px;}}\
.footer-cell{{padding-top:24px;padding-bottom:24px;}}\
.footer-cell p{{font-size:14px;line-height:21px;color:{muted};}}\
.preheader{{display:none;max-height:0;max-width:0;overflow:hidden;opacity:0;font-size:1px;line-height:1px;color:{canvas};}}\
@media (max-width:620px){{\
.px{{padding-left:16px!important;padding-right:16px!important;}}\
h1{{font-size:24px!important;line-height:30px!important;}}\
.canvas{{padding:0!important;}}\
}}\
",
        canvas = c(&theme.canvas),
        brand = c(&theme.brand),
        on_brand = c(&theme.on_brand),
        bg = c(&theme.background),
        text = c(&theme.text),
        muted = c(&theme.muted),
        link = c(&theme.link),
    );
    light + &block_rules(theme) + &dark_rules(&theme.dark)
}

/// The rules of what an item may hold besides paragraphs and lists: quotes, tables, events
/// and buttons.
fn block_rules(theme: &Theme) -> String {
    let c = |color: &toml::Spanned<crate::edition::value::Color>| color.get_ref().to_string();
    format!(
        ".data{{width:100%;margin:0 0 16px;}}\
.data th,.data td{{padding:6px 12px 6px 0;border-bottom:1px solid {muted};text-align:left;vertical-align:top;word-break:normal;overflow-wrap:break-word;font-family:{font};font-size:16px;line-height:22px;color:{text};}}\
.data th{{font-weight:bold;border-bottom:2px solid {brand};}}\
.event{{padding:4px 0 4px 12px;border-left:4px solid {brand};}}\
.button-row{{margin:0 0 16px;}}\
.button{{display:inline-block;max-width:100%;padding:12px 24px;border-radius:4px;background-color:{brand};color:{on_brand};font-family:{font};font-size:16px;line-height:20px;font-weight:bold;text-decoration:none;}}\
.quote{{margin:0 0 16px;padding:0 0 0 16px;border-left:4px solid {brand};}}\
.quote p{{font-style:italic;}}\
.quote .attribution{{font-style:normal;font-size:14px;line-height:20px;color:{muted};}}\
",
        brand = c(&theme.brand),
        on_brand = c(&theme.on_brand),
        text = c(&theme.text),
        muted = c(&theme.muted),
        font = theme.font.as_str(),
    )
}

/// The rules of dark mode, for clients that follow `prefers-color-scheme`.
fn dark_rules(d: &crate::edition::DarkTheme) -> String {
    let c = |color: &toml::Spanned<crate::edition::value::Color>| color.get_ref().to_string();
    format!(
        "@media (prefers-color-scheme:dark){{\
body,.canvas{{background-color:{d_canvas}!important;}}\
.masthead{{background-color:{d_brand}!important;}}\
h1,.description{{color:{d_on_brand}!important;}}\
.content{{background-color:{d_bg}!important;}}\
h2,h3,p,li,.data th,.data td{{color:{d_text}!important;}}\
a{{color:{d_link}!important;}}\
.kicker,.credit,.footer-cell p{{color:{d_muted}!important;}}\
.section-title,.quote,.event,.data th{{border-color:{d_link}!important;}}\
.button{{background-color:{d_brand}!important;color:{d_on_brand}!important;}}\
.quote .attribution{{color:{d_muted}!important;}}\
}}",
        d_canvas = c(&d.canvas),
        d_brand = c(&d.brand),
        d_on_brand = c(&d.on_brand),
        d_bg = c(&d.background),
        d_text = c(&d.text),
        d_muted = c(&d.muted),
        d_link = c(&d.link),
    )
}
