"""ENT admin and school admin console: pages of Préau for managing schools and accounts."""
