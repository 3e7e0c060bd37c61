export const SCRAPE_PLACEHOLDER = true;
