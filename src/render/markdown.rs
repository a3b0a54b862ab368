//! Markdown bodies into a small block model that both the HTML and the plaintext render.
//!
//! Only what a newsletter paragraph needs is kept: paragraphs, lists, block quotes (a quoted
//! speaker, with the attribution as its last paragraph), emphasis, strong, code, links and line
//! breaks. Anything else (raw HTML, images, headings, …) is reported as a
//! [`Problem`] for `check` and rendered as plain, escaped text: never passed through.

use std::ops::Range;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Paragraph(Vec<Inline>),
    List {
        ordered: bool,
        items: Vec<Vec<Inline>>,
    },
    /// `> …`: its paragraphs; a last one that starts with a dash is the attribution.
    Quote(Vec<Vec<Inline>>),
    /// A GFM table: the header row's cells, then each row's.
    Table {
        head: Vec<Vec<Inline>>,
        rows: Vec<Vec<Vec<Inline>>>,
    },
}

impl Block {
    /// Its runs of inlines: the paragraph, each item, each quoted paragraph, each cell.
    pub fn parts(&self) -> Vec<&Vec<Inline>> {
        match self {
            Block::Paragraph(inlines) => vec![inlines],
            Block::List { items: parts, .. } | Block::Quote(parts) => parts.iter().collect(),
            Block::Table { head, rows } => head.iter().chain(rows.iter().flatten()).collect(),
        }
    }

    fn parts_mut(&mut self) -> Vec<&mut Vec<Inline>> {
        match self {
            Block::Paragraph(inlines) => vec![inlines],
            Block::List { items: parts, .. } | Block::Quote(parts) => parts.iter_mut().collect(),
            Block::Table { head, rows } => {
                head.iter_mut().chain(rows.iter_mut().flatten()).collect()
            }
        }
    }
}

/// Whether a quoted paragraph is the quote's attribution: it starts with a dash (`— Naam`).
pub fn is_attribution(paragraph: &[Inline]) -> bool {
    matches!(paragraph.first(), Some(Inline::Text(t)) if t.starts_with(['—', '–', '-']))
}

#[derive(Debug, Clone, PartialEq)]
pub enum Inline {
    Text(String),
    Emphasis(Vec<Inline>),
    Strong(Vec<Inline>),
    Code(String),
    /// `range`: where the whole link (`[text](url)`) is in the source, for findings.
    Link {
        url: String,
        children: Vec<Inline>,
        range: Range<usize>,
    },
    Break,
}

/// Markdown that courant does not render as such, with its byte range in the body.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub kind: ProblemKind,
    pub range: Range<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    RawHtml,
    Image,
    Heading,
    Other(&'static str),
}

/// A parsed body: its blocks and what could not be kept.
#[derive(Debug, Default)]
pub struct Body {
    pub blocks: Vec<Block>,
    pub problems: Vec<Problem>,
}

enum Frame {
    Block,
    Item,
    Emphasis,
    Strong,
    Link(String, Range<usize>),
}

#[derive(Default)]
struct Builder {
    body: Body,
    stack: Vec<(Frame, Vec<Inline>)>,
    list: Option<(bool, Vec<Vec<Inline>>)>,
    /// The paragraphs of the block quote being read.
    quote: Option<Vec<Vec<Inline>>>,
    /// The table being read, at the top level (one inside a list or quote is reported and
    /// shown row by row).
    table: Option<TableBuild>,
}

#[derive(Default)]
struct TableBuild {
    head: Vec<Vec<Inline>>,
    rows: Vec<Vec<Vec<Inline>>>,
    row: Vec<Vec<Inline>>,
}

/// Parses one Markdown body.
pub fn parse(source: &str) -> Body {
    let mut b = Builder::default();
    // Simple tables (GFM): a timetable, a list of contacts.
    let options = Options::ENABLE_TABLES;
    for (event, range) in Parser::new_ext(source, options).into_offset_iter() {
        b.event(event, range);
    }
    let mut body = b.body;
    for block in &mut body.blocks {
        for part in block.parts_mut() {
            *part = autolink(std::mem::take(part), source);
        }
    }
    body
}
/// Bare URLs (`https://…` written out in a text) become links, shown shortened: a reader can
/// tap them, and a long one no longer breaks at random on a phone. Adjacent texts are joined
/// first (the parser splits a text at characters such as `_`).
fn autolink(inlines: Vec<Inline>, source: &str) -> Vec<Inline> {
    let mut joined: Vec<Inline> = Vec::with_capacity(inlines.len());
    for inline in inlines {
        match (joined.last_mut(), inline) {
            (Some(Inline::Text(before)), Inline::Text(t)) => before.push_str(&t),
            (_, Inline::Emphasis(c)) => joined.push(Inline::Emphasis(autolink(c, source))),
            (_, Inline::Strong(c)) => joined.push(Inline::Strong(autolink(c, source))),
            (_, other) => joined.push(other),
        }
    }
    joined
        .into_iter()
        .flat_map(|inline| match inline {
            Inline::Text(text) => split_urls(&text, source),
            other => vec![other],
        })
        .collect()
}

/// `text` with each `http(s)://` URL in it as a link.
fn split_urls(text: &str, source: &str) -> Vec<Inline> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("https://").or_else(|| rest.find("http://")) {
        let end = rest[start..]
            .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"'))
            .map_or(rest.len(), |e| start + e);
        // A sentence's full stop or comma after the URL is not part of it.
        let url = rest[start..end].trim_end_matches(['.', ',', ';', ':', '!', '?', ')']);
        if url.len() <= "https://".len() {
            break;
        }
        if start > 0 {
            out.push(Inline::Text(rest[..start].to_owned()));
        }
        let at = source.find(url).unwrap_or(0);
        out.push(Inline::Link {
            url: url.to_owned(),
            children: vec![Inline::Text(shortened(url))],
            range: at..at + url.len(),
        });
        rest = &rest[start + url.len()..];
    }
    if !rest.is_empty() {
        out.push(Inline::Text(rest.to_owned()));
    }
    out
}

/// A URL as shown: without its scheme and `www.`, and at most 40 characters (`…` at the cut).
fn shortened(url: &str) -> String {
    let shown = url.split_once("://").map_or(url, |(_, rest)| rest);
    let shown = shown.strip_prefix("www.").unwrap_or(shown);
    let shown = shown.trim_end_matches('/');
    if shown.chars().count() <= 40 {
        return shown.to_owned();
    }
    let cut: String = shown.chars().take(39).collect();
    format!("{cut}…")
}

impl Builder {
    fn event(&mut self, event: Event<'_>, range: Range<usize>) {
        match event {
            Event::Start(tag) => self.start(tag, range),
            Event::End(tag) => self.end(tag),
            Event::Text(t) => self.push(Inline::Text(t.into_string())),
            Event::Code(t) => self.push(Inline::Code(t.into_string())),
            Event::SoftBreak => self.push(Inline::Text(" ".into())),
            Event::HardBreak => self.push(Inline::Break),
            Event::Html(t) | Event::InlineHtml(t) => {
                self.problem(ProblemKind::RawHtml, range);
                self.push(Inline::Text(t.trim_end_matches('\n').to_owned()));
            }
            Event::Rule => self.problem(ProblemKind::Other("a horizontal rule"), range),
            _ => self.problem(ProblemKind::Other("this Markdown construct"), range),
        }
    }

    fn start(&mut self, tag: Tag<'_>, range: Range<usize>) {
        let frame = match tag {
            Tag::Paragraph if self.in_item() => return self.separate(),
            Tag::Paragraph => Frame::Block,
            Tag::Heading { .. } => {
                self.problem(ProblemKind::Heading, range);
                Frame::Block
            }
            Tag::List(first) => return self.start_list(first.is_some(), range),
            Tag::Item => Frame::Item,
            Tag::Emphasis => Frame::Emphasis,
            Tag::Strong => Frame::Strong,
            Tag::Link { dest_url, .. } => Frame::Link(dest_url.into_string(), range),
            Tag::Image { .. } => {
                self.problem(ProblemKind::Image, range);
                Frame::Emphasis
            }
            Tag::Table(_) | Tag::TableHead | Tag::TableRow | Tag::TableCell => {
                return self.start_table_part(tag, range);
            }
            Tag::BlockQuote(_) if !self.in_item() && self.quote.is_none() => {
                self.quote = Some(Vec::new());
                return;
            }
            Tag::BlockQuote(_) | Tag::CodeBlock(_) | Tag::HtmlBlock => {
                if !matches!(tag, Tag::HtmlBlock) {
                    let what = match tag {
                        Tag::BlockQuote(_) => "a block quote inside a list or a quote",
                        _ => "a code block",
                    };
                    self.problem(ProblemKind::Other(what), range);
                }
                if self.in_item() {
                    return self.separate();
                }
                Frame::Block
            }
            _ => {
                self.problem(ProblemKind::Other("this Markdown construct"), range);
                return;
            }
        };
        self.stack.push((frame, Vec::new()));
    }

    fn start_list(&mut self, ordered: bool, range: Range<usize>) {
        if self.list.is_some() {
            self.problem(ProblemKind::Other("a nested list"), range);
            return;
        }
        self.list = Some((ordered, Vec::new()));
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::TableCell | TagEnd::TableHead | TagEnd::TableRow | TagEnd::Table
                if self.table.is_some() =>
            {
                self.end_table_part(tag);
            }
            TagEnd::Table | TagEnd::TableCell => {}
            TagEnd::BlockQuote(_) if !self.in_item() && self.stack.is_empty() => {
                if let Some(paragraphs) = self.quote.take() {
                    self.body.blocks.push(Block::Quote(paragraphs));
                }
            }
            TagEnd::List(_) if self.in_item() => {}
            TagEnd::List(_) => {
                if let Some((ordered, items)) = self.list.take() {
                    self.body.blocks.push(Block::List { ordered, items });
                }
            }
            TagEnd::Paragraph | TagEnd::BlockQuote(_) | TagEnd::CodeBlock | TagEnd::HtmlBlock
                if self.in_item() => {}
            TagEnd::Item if self.stack.len() > 1 => {
                // A nested list's item: its text joins the outer item.
                let (_, inlines) = self.stack.pop().expect("checked length");
                self.separate();
                self.extend(inlines);
            }
            _ => self.close(),
        }
    }

    fn start_table_part(&mut self, tag: Tag<'_>, range: Range<usize>) {
        let frame = match tag {
            Tag::Table(_) if !self.in_item() && self.quote.is_none() => {
                self.table = Some(TableBuild::default());
                return;
            }
            Tag::Table(_) => {
                let what = "a table inside a list or a quote";
                return self.problem(ProblemKind::Other(what), range);
            }
            Tag::TableHead | Tag::TableRow if self.table.is_some() => return,
            // A table inside a list or quote: each row a paragraph of its cells, kept apart by
            // a middle dot.
            Tag::TableCell if self.table.is_none() => {
                if let Some((_, cells)) = self.stack.last_mut()
                    && !cells.is_empty()
                {
                    cells.push(Inline::Text(" · ".into()));
                }
                return;
            }
            _ => Frame::Block,
        };
        self.stack.push((frame, Vec::new()));
    }

    fn end_table_part(&mut self, tag: TagEnd) {
        let Some(table) = &mut self.table else {
            return;
        };
        match tag {
            TagEnd::TableCell => {
                let (_, cell) = self.stack.pop().unwrap_or((Frame::Block, Vec::new()));
                table.row.push(cell);
            }
            TagEnd::TableHead => table.head = std::mem::take(&mut table.row),
            TagEnd::TableRow => table.rows.push(std::mem::take(&mut table.row)),
            _ => {
                let TableBuild { head, rows, .. } = self.table.take().expect("checked above");
                self.body.blocks.push(Block::Table { head, rows });
            }
        }
    }

    fn close(&mut self) {
        let Some((frame, children)) = self.stack.pop() else {
            return;
        };
        let inline = match frame {
            Frame::Block => {
                return match &mut self.quote {
                    Some(paragraphs) => paragraphs.push(children),
                    None => self.body.blocks.push(Block::Paragraph(children)),
                };
            }
            Frame::Item => {
                if let Some((_, items)) = &mut self.list {
                    items.push(children);
                }
                return;
            }
            Frame::Emphasis => Inline::Emphasis(children),
            Frame::Strong => Inline::Strong(children),
            Frame::Link(url, range) => Inline::Link {
                url,
                children,
                range,
            },
        };
        self.push(inline);
    }

    fn in_item(&self) -> bool {
        self.stack.iter().any(|(f, _)| matches!(f, Frame::Item))
    }

    /// Paragraphs inside one list item are kept apart by a line break.
    fn separate(&mut self) {
        if let Some((_, children)) = self.stack.last_mut()
            && !children.is_empty()
        {
            children.push(Inline::Break);
        }
    }

    fn push(&mut self, inline: Inline) {
        match self.stack.last_mut() {
            Some((_, children)) => children.push(inline),
            None => self.body.blocks.push(Block::Paragraph(vec![inline])),
        }
    }

    fn extend(&mut self, inlines: Vec<Inline>) {
        for inline in inlines {
            self.push(inline);
        }
    }

    fn problem(&mut self, kind: ProblemKind, range: Range<usize>) {
        self.body.problems.push(Problem { kind, range });
    }
}

/// The text of inlines without markup, e.g. a link's visible text.
pub fn plain_text(inlines: &[Inline]) -> String {
    let mut out = String::new();
    for inline in inlines {
        match inline {
            Inline::Text(t) | Inline::Code(t) => out.push_str(t),
            Inline::Emphasis(c) | Inline::Strong(c) | Inline::Link { children: c, .. } => {
                out.push_str(&plain_text(c));
            }
            Inline::Break => out.push(' '),
        }
    }
    out
}

/// A link in a body: where it goes, its visible text, and where it is in the source.
pub struct BodyLink {
    pub url: String,
    pub text: String,
    pub range: Range<usize>,
}

/// Every link in a body, in reading order.
pub fn links(blocks: &[Block]) -> Vec<BodyLink> {
    fn walk(inlines: &[Inline], out: &mut Vec<BodyLink>) {
        for inline in inlines {
            match inline {
                Inline::Link {
                    url,
                    children,
                    range,
                } => out.push(BodyLink {
                    url: url.clone(),
                    text: plain_text(children),
                    range: range.clone(),
                }),
                Inline::Emphasis(c) | Inline::Strong(c) => walk(c, out),
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    for block in blocks {
        block.parts().iter().for_each(|part| walk(part, &mut out));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use Inline::*;

    #[test]
    fn a_block_quote_keeps_its_paragraphs_and_its_attribution() {
        let body = parse("Zij zei:\n\n> Oefenen helpt.\n> Echt.\n>\n> — Anne de Vries\n\nEinde.");
        assert!(body.problems.is_empty(), "{:?}", body.problems);
        let Block::Quote(paragraphs) = &body.blocks[1] else {
            panic!("{:?}", body.blocks)
        };
        assert_eq!(paragraphs.len(), 2);
        assert!(!is_attribution(&paragraphs[0]));
        assert!(is_attribution(&paragraphs[1]));
        assert_eq!(body.blocks.len(), 3, "the paragraph after it is its own");
    }

    #[test]
    fn a_bare_url_is_a_link_shown_short_and_its_full_stop_stays_text() {
        let url = "https://www.rijksoverheid.nl/onderwerpen/terrorismebestrijding/documenten/rapport_2022";
        let body = parse(&format!("Zie {url}. En *ook https://x.nl*."));
        let Block::Paragraph(inlines) = &body.blocks[0] else {
            panic!()
        };
        assert_eq!(inlines[0], Text("Zie ".into()));
        let Link {
            url: target,
            children,
            ..
        } = &inlines[1]
        else {
            panic!("{inlines:?}")
        };
        assert_eq!(target, url);
        assert_eq!(
            children,
            &vec![Text("rijksoverheid.nl/onderwerpen/terrorisme…".into())]
        );
        assert_eq!(inlines[2], Text(". En ".into()));
        let Emphasis(inner) = &inlines[3] else {
            panic!()
        };
        assert!(matches!(&inner[1], Link { url, .. } if url == "https://x.nl"));
    }

    #[test]
    fn a_table_keeps_its_header_and_rows() {
        let body = parse(
            "Rooster:\n\n| Wat | Wanneer |\n|---|---|\n| *Receptie* | 19 januari |\n| Lezing | |\n\nEinde.",
        );
        assert!(body.problems.is_empty(), "{:?}", body.problems);
        let cell = |t: &str| vec![Text(t.into())];
        assert_eq!(
            body.blocks[1],
            Block::Table {
                head: vec![cell("Wat"), cell("Wanneer")],
                rows: vec![
                    vec![vec![Emphasis(cell("Receptie"))], cell("19 januari")],
                    vec![cell("Lezing"), vec![]],
                ],
            }
        );
        assert_eq!(body.blocks[2], Block::Paragraph(cell("Einde.")));
    }

    #[test]
    fn a_table_in_a_quote_is_named_and_its_rows_kept_readable() {
        let body = parse("> | Wat | Wanneer |\n> |---|---|\n> | Receptie | 19 januari |\n");
        assert_eq!(body.problems.len(), 1);
        let what = ProblemKind::Other("a table inside a list or a quote");
        assert_eq!(body.problems[0].kind, what);
        let row = |a: &str, b: &str| vec![Text(format!("{a} · {b}"))];
        let expected = Block::Quote(vec![row("Wat", "Wanneer"), row("Receptie", "19 januari")]);
        assert_eq!(body.blocks, vec![expected]);
    }

    #[test]
    fn paragraphs_emphasis_and_links() {
        let body = parse("Een *mooi* [magazine](https://x.example/m).\n\nTweede **alinea**.");
        assert_eq!(
            body.blocks,
            vec![
                Block::Paragraph(vec![
                    Text("Een ".into()),
                    Emphasis(vec![Text("mooi".into())]),
                    Text(" ".into()),
                    Link {
                        url: "https://x.example/m".into(),
                        children: vec![Text("magazine".into())],
                        range: 11..42,
                    },
                    Text(".".into()),
                ]),
                Block::Paragraph(vec![
                    Text("Tweede ".into()),
                    Strong(vec![Text("alinea".into())]),
                    Text(".".into())
                ]),
            ]
        );
        assert!(body.problems.is_empty());
    }

    #[test]
    fn lists_keep_their_items() {
        let body = parse("- een\n- twee\n\n1. drie\n");
        assert_eq!(
            body.blocks,
            vec![
                Block::List {
                    ordered: false,
                    items: vec![vec![Text("een".into())], vec![Text("twee".into())]]
                },
                Block::List {
                    ordered: true,
                    items: vec![vec![Text("drie".into())]]
                },
            ]
        );
    }

    #[test]
    fn raw_html_is_a_problem_and_becomes_text() {
        let source = "Hallo <script>alert(1)</script> daar";
        let body = parse(source);
        assert_eq!(body.problems[0].kind, ProblemKind::RawHtml);
        assert_eq!(&source[body.problems[0].range.clone()], "<script>");
        assert!(
            plain_text(match &body.blocks[0] {
                Block::Paragraph(i) => i,
                _ => unreachable!(),
            })
            .contains("<script>")
        );
    }

    #[test]
    fn headings_and_images_are_problems() {
        let body = parse("# Kop\n\n![foto](a.png)");
        let kinds: Vec<_> = body.problems.iter().map(|p| p.kind).collect();
        assert_eq!(kinds, vec![ProblemKind::Heading, ProblemKind::Image]);
    }
}
