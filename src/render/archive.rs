//! The web archive's own pages: the index of all editions, newest first, and its Atom feed.
//! Each edition's page is its web version (see [`super::html`]).

use maud::{DOCTYPE, Markup, html};

use crate::edition::{Edition, Newsletter};

/// The words of the index page.
fn heading(newsletter: &Newsletter) -> (&'static str, &'static str) {
    match newsletter.language {
        crate::edition::Language::Nl => ("Alle edities", "Abonneer via de Atom-feed"),
        crate::edition::Language::En => ("All editions", "Follow the Atom feed"),
    }
}

/// `2022-12-15`
pub fn date(edition: &Edition) -> String {
    edition
        .content
        .date
        .get_ref()
        .date
        .map_or_else(String::new, |d| d.to_string())
}

/// The index page; `editions` newest first, all of one newsletter.
pub fn index(newsletter: &Newsletter, editions: &[&Edition]) -> String {
    let (all, feed) = heading(newsletter);
    let css = index_css(newsletter);
    let page: Markup = html! {
        (DOCTYPE)
        html lang=(newsletter.language.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                title { (newsletter.name.get_ref().as_str()) " – " (all) }
                link rel="alternate" type="application/atom+xml" href="feed.xml" title=(newsletter.name.get_ref().as_str());
                style { (maud::PreEscaped(css)) }
            }
            body {
                header {
                    h1 { (newsletter.name.get_ref().as_str()) }
                    p { (newsletter.description.get_ref()) }
                }
                main {
                    h2 { (all) }
                    ol {
                        @for edition in editions {
                            li {
                                h3 { a href={ (edition.slug) "/" } { (edition.content.title.get_ref()) } }
                                time datetime=(date(edition)) { (date(edition)) }
                                @if let Some(pre) = &edition.content.preheader {
                                    span.summary { (pre.get_ref()) }
                                }
                            }
                        }
                    }
                }
                footer {
                    p { (newsletter.footer.organisation.get_ref()) }
                    p { a href="feed.xml" { (feed) } }
                }
            }
        }
    };
    page.into_string()
}

/// The index's stylesheet, in the theme's colours, light and dark.
fn index_css(newsletter: &Newsletter) -> String {
    let theme = &newsletter.theme;
    format!(
        "body{{margin:0;font-family:{font};font-size:16px;line-height:1.5;color:{text};background:{bg}}}\
header,main,footer{{max-width:40em;margin:0 auto;padding:1em}}header{{background:{brand};color:{on_brand};max-width:none}}\
header>*{{max-width:40em;margin-left:auto;margin-right:auto}}h1{{font-size:1.75em;line-height:1.2;margin:.5em auto .25em}}\
a{{color:{link}}}ol{{list-style:none;padding:0}}li{{margin:0 0 1.5em}}time,.summary{{display:block;color:{muted}}}\
h2{{font-size:1.25em;margin:0}}\
@media (prefers-color-scheme:dark){{body{{color:{d_text};background:{d_bg}}}header{{background:{d_brand};color:{d_on_brand}}}a{{color:{d_link}}}time,.summary{{color:{d_muted}}}}}",
        font = theme.font.as_str(),
        text = theme.text.get_ref(),
        bg = theme.background.get_ref(),
        brand = theme.brand.get_ref(),
        on_brand = theme.on_brand.get_ref(),
        link = theme.link.get_ref(),
        muted = theme.muted.get_ref(),
        d_text = theme.dark.text.get_ref(),
        d_bg = theme.dark.background.get_ref(),
        d_brand = theme.dark.brand.get_ref(),
        d_on_brand = theme.dark.on_brand.get_ref(),
        d_link = theme.dark.link.get_ref(),
        d_muted = theme.dark.muted.get_ref(),
    )
}

/// An Atom feed (RFC 4287) of the editions, newest first.
pub fn feed(newsletter: &Newsletter, editions: &[&Edition]) -> String {
    let base = newsletter.web_base_url.get_ref().as_str();
    let updated = editions
        .first()
        .map_or_else(|| "1970-01-01".to_owned(), |e| date(e));
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\">\n\
         <id>{}</id>\n<title>{}</title>\n<subtitle>{}</subtitle>\n<updated>{updated}T00:00:00Z</updated>\n\
         <author><name>{}</name></author>\n<link rel=\"self\" href=\"{}\"/>\n<link rel=\"alternate\" href=\"{}\"/>\n",
        newsletter.language.code(),
        xml(base),
        xml(newsletter.name.get_ref().as_str()),
        xml(newsletter.description.get_ref()),
        xml(newsletter.footer.organisation.get_ref()),
        xml(&format!("{base}feed.xml")),
        xml(base),
    );
    for edition in editions {
        let url = edition.web_url();
        out.push_str(&format!(
            "<entry>\n<id>{}</id>\n<title>{}</title>\n<updated>{}T00:00:00Z</updated>\n<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
            xml(&url),
            xml(edition.content.title.get_ref()),
            date(edition),
            xml(&url),
        ));
        if let Some(pre) = &edition.content.preheader {
            out.push_str(&format!("<summary>{}</summary>\n", xml(pre.get_ref())));
        }
        out.push_str("</entry>\n");
    }
    out.push_str("</feed>\n");
    out
}

/// Escapes text for XML content and attribute values.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    std::fmt::Write::write_fmt(&mut maud::Escaper::new(&mut out), format_args!("{s}"))
        .expect("a String");
    out
}
