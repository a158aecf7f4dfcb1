-- Up Migration

-- Case-insensitive keys (userName, primary email, group displayName, account email, team name) now
-- compare with the Greek final sigma folded: 'ς' (U+03C2) as 'σ' (U+03C3), as Unicode case folding
-- does (shared/uniqueness/keys.ts caseFold). JavaScript's toLowerCase maps 'Σ' to 'ς' or 'σ' by its
-- position in the word, so keys stored before held either; this rewrites them to the folded form.
--
-- Two stored keys that fold to one (say 'sigmaς' and 'sigmaσ', held by two users) cannot both move:
-- the migration does not fail for that. Of each such set the key already in folded form is kept,
-- else the earliest claimed (changed_at, then owner); the others keep their old key, unchanged, and
-- each is reported in a NOTICE (scope, key, owner stream) so an operator can resolve the clash (one
-- of the resources renamed); `scim-audit verify` lists them too, as claims no resource holds.
DO $$
DECLARE
  clash record;
BEGIN
  FOR clash IN
    WITH candidates AS (
      SELECT scope, key, owner_stream, changed_at, replace(key, 'ς', 'σ') AS folded
        FROM unique_keys
       WHERE scope IN ('user.userName', 'user.email', 'group.displayName', 'account.email', 'team.name')
         AND strpos(key, 'ς') > 0
    ),
    ranked AS (
      SELECT c.*,
             EXISTS (SELECT 1 FROM unique_keys k WHERE k.scope = c.scope AND k.key = c.folded) AS folded_taken,
             row_number() OVER (PARTITION BY c.scope, c.folded ORDER BY c.changed_at, c.owner_stream, c.key) AS rank
        FROM candidates c
    )
    SELECT scope, key, owner_stream, folded, (folded_taken OR rank > 1) AS clashes FROM ranked ORDER BY scope, folded, rank
  LOOP
    IF clash.clashes THEN
      RAISE NOTICE 'unique key % % (owner %) folds to %, which another owner holds: left unchanged', clash.scope, clash.key, clash.owner_stream, clash.folded;
    ELSE
      UPDATE unique_keys SET key = clash.folded WHERE scope = clash.scope AND key = clash.key;
    END IF;
  END LOOP;
END
$$;

-- Down Migration

-- Not reversible: which folded keys held 'ς' is not recorded. The previous version's write side
-- reads a folded key as another value's, so do not run it on this database.
