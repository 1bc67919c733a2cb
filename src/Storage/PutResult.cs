namespace Overlay.Storage;

/// <summary>The outcome of an acknowledged put: the transaction holding it has committed.</summary>
/// <param name="Id">The content hash of the bytes.</param>
/// <param name="Stored">True if the bytes were written now; false if the content was already stored (idempotent put).</param>
public readonly record struct PutResult(ShardId Id, bool Stored);
