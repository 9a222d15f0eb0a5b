-- 0024_payout_items_digest: the SHA-256 of a batch's items as they went into its payout file
-- (serial, AAC002, AAE010 and amount of each, in serial order; hub/ph-payout-digest.c),
-- stored while the file is generated. A result file that echoes every item in order is
-- proven equal to the items by the same digest of its lines, without reading a million items
-- back (issue 5 §8); any other file is compared with the items as before. NULL for batches
-- generated before. Never edit once landed.
ALTER TABLE payout_batch ADD COLUMN items_digest text;
