"""``gongkai serve``: a read-only web view of the archive, over the same library functions as
the command line (search, versions, diffs, statistics), for people who would rather look than
type."""
