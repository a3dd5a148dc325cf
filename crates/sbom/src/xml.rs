//! CycloneDX XML (1.1-1.6).

use crate::cyclonedx::component_from;
use crate::{Component, Document, Error, Os, err};

fn child_text<'a>(n: roxmltree::Node<'a, '_>, name: &str) -> Option<&'a str> {
    n.children().find(|c| c.is_element() && c.tag_name().name() == name).and_then(|c| c.text()).map(str::trim)
}

fn walk(n: roxmltree::Node, out: &mut Vec<Component>, os: &mut Option<Os>, depth: usize) -> Result<(), Error> {
    if depth > 64 {
        return Err(err("components nested more than 64 levels deep"));
    }
    for c in n.children().filter(|c| c.is_element() && c.tag_name().name() == "component") {
        let name = child_text(c, "name").unwrap_or("");
        let version = child_text(c, "version").unwrap_or("");
        let purl = child_text(c, "purl");
        if c.attribute("type") == Some("operating-system") {
            os.get_or_insert(Os { name: name.to_string(), version: version.to_string() });
        } else if !name.is_empty() || purl.is_some() {
            out.push(component_from(name, version, purl));
        }
        if let Some(inner) = c.children().find(|x| x.is_element() && x.tag_name().name() == "components") {
            walk(inner, out, os, depth + 1)?;
        }
    }
    Ok(())
}

pub fn from_xml(t: &str) -> Result<Document, Error> {
    let doc = roxmltree::Document::parse(t).map_err(|e| err(format!("invalid XML: {e}")))?;
    let root = doc.root_element();
    let ns = root.tag_name().namespace().unwrap_or("");
    if root.tag_name().name() != "bom" || !ns.contains("cyclonedx") {
        if ns.contains("spdx") || t.contains("spdx.org") {
            return Err(err("an SPDX document in XML, which is not read (use SPDX JSON or tag-value)"));
        }
        return Err(err(format!("XML, but not a CycloneDX <bom> (root element <{}>)", root.tag_name().name())));
    }
    let spec = ns.rsplit('/').next().unwrap_or("?");
    let mut components = Vec::new();
    let mut os = None;
    if let Some(list) = root.children().find(|c| c.is_element() && c.tag_name().name() == "components") {
        walk(list, &mut components, &mut os, 0)?;
    }
    Ok(Document { format: format!("CycloneDX {spec} XML"), components, os })
}
