namespace Overlay.Crypto;

/// <summary>What <see cref="IdentityKeyFile.LoadOrCreate"/> did besides loading the identity.</summary>
/// <param name="Created">No key file existed, so a new hybrid identity was generated and written.</param>
/// <param name="Migrated">
/// The file held an Ed25519-only (format version 1) identity and was rewritten as a hybrid Ed25519 +
/// ML-DSA-65 one with the same Ed25519 key. The PeerId changed, since it hashes both public keys.
/// </param>
/// <param name="PreviousPeerId">After a migration, the PeerId the node had before it; otherwise null.</param>
public readonly record struct KeyFileLoadResult(bool Created, bool Migrated, PeerId? PreviousPeerId);
