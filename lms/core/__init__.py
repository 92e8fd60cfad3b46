"""Infrastructure every feature stands on: settings, extensions, errors, caching, data
versions, shared schemas and types, bulk writes, seed-file reading. Imports no feature."""
