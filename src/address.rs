//! When two spellings of an address are one mailbox: as the receiving server compares them.

use unicode_normalization::UnicodeNormalization;

/// The key under which courant records and compares an address, so that one reader is one
/// reader however the address was typed:
/// - the domain as its lower-case A-label: `bücher.example` and `xn--bcher-kva.example` are one
///   domain, and the envelope carries the A-label;
/// - the local part in Unicode NFC: `josé` typed on a Mac arrives decomposed (`e` and U+0301);
/// - and, as courant has always compared them, in lower case (RFC 5321 lets a server tell `Jan`
///   from `jan`; none of the providers readers use does).
pub fn key(address: &str) -> String {
    let Some((local, domain)) = address.rsplit_once('@') else {
        return folded(address);
    };
    let domain = idna::domain_to_ascii(domain).unwrap_or_else(|_| domain.to_lowercase());
    format!("{}@{domain}", folded(local))
}

/// Lower case, then NFC (lowering can undo a composition).
fn folded(text: &str) -> String {
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    text.to_lowercase().nfc().collect()
}

#[cfg(test)]
mod tests {
    use super::key;

    #[test]
    fn spellings_of_one_mailbox_have_one_key() {
        let one = [
            "jan@bücher.example",
            "jan@xn--bcher-kva.example",
            "Jan@BÜCHER.example",
            "JAN@XN--BCHER-KVA.EXAMPLE",
        ];
        for spelling in one {
            assert_eq!(key(spelling), "jan@xn--bcher-kva.example", "{spelling}");
        }
        let composed = "jos\u{e9}@example.nl";
        let decomposed = "jose\u{301}@example.nl";
        assert_eq!(key(decomposed), key(composed));
        assert_eq!(key(composed), composed);
        assert_ne!(key("jan@example.nl"), key("jans@example.nl"));
    }
}
