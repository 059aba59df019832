"""The pure domain core: rules and types. Imports nothing from the database, web or clock."""
