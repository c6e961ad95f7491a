// Hubs are made by cloning one SD image, so the image's placeholder site name can survive on a new
// hub and send its data into a folder named after nobody. Real names look like `Site0_Montreal` …
// `Site16_Agrotunnel_3`; placeholders look like `SiteX_Dummy`, `Site_Dummy`, or nothing at all.
// Whole words (an underscore or a digit parts them too): a real `Site7_Templates` is no placeholder.
const PLACEHOLDER_WORDS =
  /(?:^|[^a-z])(?:dummy|placeholder|change[-_ ]?me|example|template)(?:[^a-z]|$)/i;
/** `SiteX…`: the X stands where the site's number belongs. */
const UNNUMBERED_SITE = /^site[-_ ]?x(?:[-_ ]|$)/i;

/** Why `site` looks like a placeholder rather than a real site name, or null when it does not. */
export function placeholderSiteReason(site: string): string | null {
  const s = site.trim();
  if (s === '') return 'the site name is empty';
  if (PLACEHOLDER_WORDS.test(s) || UNNUMBERED_SITE.test(s)) {
    return `the site name "${s}" looks like a placeholder left from a cloned SD image`;
  }
  return null;
}
