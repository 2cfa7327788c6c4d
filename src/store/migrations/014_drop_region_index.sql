-- 014_drop_region_index: persons_region served no query. The person list
-- filters by region over the primary key (people of one region are spread
-- over the whole key range, so a page of 50 reads a few thousand rows even
-- at 30 million), and every import paid for it: about 1.8 s of a
-- 1,000,000-row import (docs/import.md).
DROP INDEX persons_region;
