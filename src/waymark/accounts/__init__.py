"""waymark.accounts: people grouped into accounts (companies, schools, households), each with its own journey per product and buying group."""
