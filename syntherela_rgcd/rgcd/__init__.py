"""RGCD: relational data generation with GNN embeddings conditioning latent diffusion models."""
