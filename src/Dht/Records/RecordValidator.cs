using Overlay.Crypto;

namespace Overlay.Dht.Records;

/// <summary>
/// Decides whether a record may be stored. Cheap checks run first (sizes, expiry, the stored version),
/// the signature last, so junk costs no public-key operation.
/// </summary>
public sealed class RecordValidator
{
    private readonly DhtOptions _options;
    private readonly IRecordSignatureVerifier _verifier;

    /// <summary>
    /// Creates a validator with the limits of <paramref name="options"/> and the given signature check; provider records
    /// it has checked are remembered in <paramref name="checkedProviders"/> (default: a set of
    /// <see cref="CheckedProviderRecords.DefaultCapacity"/>).
    /// </summary>
    public RecordValidator(DhtOptions options, IRecordSignatureVerifier verifier, CheckedProviderRecords? checkedProviders = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(verifier);
        _options = options;
        _verifier = verifier;
        CheckedProviders = checkedProviders ?? new CheckedProviderRecords();
    }

    /// <summary>The provider records whose signature this validator has checked and remembers (hits and misses counted there).</summary>
    public CheckedProviderRecords CheckedProviders { get; }

    /// <summary>
    /// Checks <paramref name="record"/> at <paramref name="now"/> against the version already stored
    /// under its key (<paramref name="stored"/>, or null).
    /// </summary>
    public RecordRejection Validate(DhtRecord record, DateTimeOffset now, DhtRecord? stored = null) =>
        Validate(record, now, stored, checkSignature: true);

    /// <summary>
    /// As <see cref="Validate(DhtRecord, DateTimeOffset, DhtRecord?)"/>; <paramref name="checkSignature"/>
    /// false skips the signature, only for a record this node checked before and kept sealed since
    /// (<see cref="Persistence.SavedRecord.Sealed"/>). Every other check still runs.
    /// </summary>
    internal RecordRejection Validate(DhtRecord record, DateTimeOffset now, DhtRecord? stored, bool checkSignature)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.Value.Length > _options.MaxValueBytes)
        {
            return RecordRejection.ValueTooLarge;
        }

        if (record.PublisherPublicKey.Length == 0 || record.PublisherPublicKey.Length > _options.MaxPublicKeyBytes)
        {
            return RecordRejection.PublicKeyLength;
        }

        if (record.Signature.Length == 0 || record.Signature.Length > _options.MaxSignatureBytes)
        {
            return RecordRejection.SignatureLength;
        }

        var expiry = CheckExpiry(record.ExpiresUnixMs, now);
        if (expiry != RecordRejection.None)
        {
            return expiry;
        }

        if (stored is not null)
        {
            // Only the key's publisher may replace it; otherwise anyone could overwrite by signing with their own key.
            if (!stored.PublisherPublicKey.Span.SequenceEqual(record.PublisherPublicKey.Span))
            {
                return RecordRejection.PublisherMismatch;
            }

            if (record.Sequence < stored.Sequence)
            {
                return RecordRejection.OlderSequence;
            }

            if (record.Sequence == stored.Sequence && !record.ContentEquals(stored))
            {
                return RecordRejection.ConflictingSequence;
            }
        }

        if (!checkSignature)
        {
            return RecordRejection.None;
        }

        return VerifySignature(
            record, RecordEncoding.SigningPayloadLength(record.Value.Length, record.PublisherPublicKey.Length),
            static (payload, r) => RecordEncoding.WriteSigningPayload(r, payload), record.PublisherPublicKey, record.Signature);
    }

    /// <summary>
    /// Checks a provider record stored by <paramref name="sender"/> at <paramref name="now"/>: its expiry, that
    /// the sender is the provider it names, and its signature (the key must be the provider's).
    /// </summary>
    public RecordRejection ValidateProvider(ProviderRecord record, PeerId sender, DateTimeOffset now)
    {
        var verdict = ValidateProviderUnsigned(record, sender, now);
        return verdict != RecordRejection.None ? verdict : CheckProviderSignature(record, now);
    }

    /// <summary>
    /// Checks a provider record that any peer returned in a FIND_VALUE answer at <paramref name="now"/>: its
    /// expiry and its signature, so the answering peer cannot invent providers or lengthen a record's life.
    /// </summary>
    public RecordRejection ValidateProviderAnswer(ProviderRecord record, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(record);
        var verdict = CheckExpiry(record.ExpiresUnixMs, now);
        return verdict != RecordRejection.None ? verdict : CheckProviderSignature(record, now);
    }

    /// <summary>The checks of <see cref="ValidateProvider"/> that need no public-key operation: expiry, and the sender is the provider.</summary>
    internal RecordRejection ValidateProviderUnsigned(ProviderRecord record, PeerId sender, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(record);
        var expiry = CheckExpiry(record.ExpiresUnixMs, now);
        if (expiry != RecordRejection.None)
        {
            return expiry;
        }

        return record.Provider == sender ? RecordRejection.None : RecordRejection.ProviderNotSender;
    }

    /// <summary>
    /// Only for tests: skip the check that a batched record's Merkle path leads from its key to the signed root, the
    /// check that stops whoever answers from attaching a genuine batch's root and signature to a key it never named.
    /// </summary>
    internal bool SkipBatchPathCheck { get; init; }

    /// <summary>
    /// Sizes, then (for a batched record) that its path leads from its key to the root (<see cref="RecordRejection.PathMismatch"/>),
    /// then the key is the provider's (<see cref="RecordRejection.ProviderKeyMismatch"/>), then the signature; signed bytes
    /// that passed before and have not expired at <paramref name="now"/> are answered from <see cref="CheckedProviders"/>
    /// (the sizes and the key check depend on those bytes alone). Every record of one batch has the same signed bytes, so a
    /// fetcher verifies a batch once, whichever of its ids it meets.
    /// </summary>
    internal RecordRejection CheckProviderSignature(ProviderRecord record, DateTimeOffset now)
    {
        if (record.ProviderPublicKey.Length == 0 || record.ProviderPublicKey.Length > _options.MaxPublicKeyBytes)
        {
            return RecordRejection.PublicKeyLength;
        }

        if (record.Signature.Length == 0 || record.Signature.Length > _options.MaxSignatureBytes)
        {
            return RecordRejection.SignatureLength;
        }

        if (record.Batch is { } proof)
        {
            if (proof.LeafCount < 1 || proof.LeafCount > _options.MaxProviderBatchIds)
            {
                return RecordRejection.BatchTooLarge;
            }

            if (!SkipBatchPathCheck && !proof.Reaches(record.Key))
            {
                return RecordRejection.PathMismatch;
            }

            return CheckSigned(
                record, record.Provider, record.ProviderPublicKey, record.Signature, record.ExpiresUnixMs,
                ProviderBatchEncoding.SigningPayloadLength(record.ProviderPublicKey.Length), static (r, d) => ProviderBatchEncoding.WriteSigningPayload(r, d), now);
        }

        return CheckSigned(
            record, record.Provider, record.ProviderPublicKey, record.Signature, record.ExpiresUnixMs,
            RecordEncoding.ProviderSigningPayloadLength(record.ProviderPublicKey.Length), static (r, d) => RecordEncoding.WriteProviderSigningPayload(r, d), now);
    }

    /// <summary>
    /// The checks of a provider batch sent by <paramref name="sender"/> at <paramref name="now"/> that need no hashing of the
    /// ids and no public-key operation: its size, expiry, that the sender is the provider, the key and signature lengths,
    /// and that the ids are sorted ascending without repeats.
    /// </summary>
    public RecordRejection ValidateBatchUnsigned(ProviderBatch batch, PeerId sender, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count < 1 || batch.Count > _options.MaxProviderBatchIds || batch.Ids.Length % PeerId.Size != 0)
        {
            return RecordRejection.BatchTooLarge;
        }

        var expiry = CheckExpiry(batch.ExpiresUnixMs, now);
        if (expiry != RecordRejection.None)
        {
            return expiry;
        }

        if (batch.Provider != sender)
        {
            return RecordRejection.ProviderNotSender;
        }

        if (batch.ProviderPublicKey.Length == 0 || batch.ProviderPublicKey.Length > _options.MaxPublicKeyBytes)
        {
            return RecordRejection.PublicKeyLength;
        }

        if (batch.Signature.Length == 0 || batch.Signature.Length > _options.MaxSignatureBytes)
        {
            return RecordRejection.SignatureLength;
        }

        var ids = batch.Ids.Span;
        for (var at = PeerId.Size; at < ids.Length; at += PeerId.Size)
        {
            if (ids.Slice(at - PeerId.Size, PeerId.Size).SequenceCompareTo(ids.Slice(at, PeerId.Size)) >= 0)
            {
                return RecordRejection.UnsortedIds;
            }
        }

        return RecordRejection.None;
    }

    /// <summary>
    /// The costly checks of a provider batch, after <see cref="ValidateBatchUnsigned"/>: its root is the Merkle root of its
    /// ids (<see cref="RecordRejection.WrongRoot"/>), the key is the provider's, and the signature over the root verifies.
    /// On success <paramref name="tree"/> is the batch's tree, from which the storing node reads each id's path.
    /// </summary>
    public RecordRejection CheckBatchSignature(ProviderBatch batch, DateTimeOffset now, out Blake3MerkleTree? tree)
    {
        ArgumentNullException.ThrowIfNull(batch);
        tree = Blake3MerkleTree.Build(batch.Ids.Span);
        if (!tree.Root.SequenceEqual(batch.Root.Span))
        {
            tree = null;
            return RecordRejection.WrongRoot;
        }

        var verdict = CheckSigned(
            batch, batch.Provider, batch.ProviderPublicKey, batch.Signature, batch.ExpiresUnixMs,
            ProviderBatchEncoding.SigningPayloadLength(batch.ProviderPublicKey.Length), static (b, d) => ProviderBatchEncoding.WriteSigningPayload(b, d), now);
        if (verdict != RecordRejection.None)
        {
            tree = null;
        }

        return verdict;
    }

    // The key check and the signature over the payload write() builds, or the remembered verdict for exactly these signed bytes.
    private RecordRejection CheckSigned<TSigned>(
        TSigned item, PeerId provider, ReadOnlyMemory<byte> publicKey, ReadOnlyMemory<byte> signature, long expiresUnixMs, int length,
        Func<TSigned, Span<byte>, int> write, DateTimeOffset now)
    {
        var signed = System.Buffers.ArrayPool<byte>.Shared.Rent(4 + length + signature.Length);
        try
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(signed, length);
            write(item, signed.AsSpan(4, length));
            signature.Span.CopyTo(signed.AsSpan(4 + length));
            var key = CheckedProviders.KeyOf(provider, signed.AsSpan(0, 4 + length + signature.Length));
            if (CheckedProviders.Contains(key, now.ToUnixTimeMilliseconds()))
            {
                return RecordRejection.None;
            }

            if (!_verifier.IsKeyOf(publicKey.Span, provider))
            {
                return RecordRejection.ProviderKeyMismatch;
            }

            if (!_verifier.Verify(publicKey.Span, signed.AsSpan(4, length), signature.Span))
            {
                return RecordRejection.BadSignature;
            }

            CheckedProviders.Add(key, expiresUnixMs);
            return RecordRejection.None;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(signed);
        }
    }

    // Builds the signing payload in a pooled buffer and hands it to the verifier.
    private RecordRejection VerifySignature<TRecord>(
        TRecord record, int length, System.Buffers.SpanAction<byte, TRecord> write, ReadOnlyMemory<byte> publicKey, ReadOnlyMemory<byte> signature)
    {
        var payload = System.Buffers.ArrayPool<byte>.Shared.Rent(length);
        try
        {
            write(payload, record);
            return _verifier.Verify(publicKey.Span, payload.AsSpan(0, length), signature.Span) ? RecordRejection.None : RecordRejection.BadSignature;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(payload);
        }
    }

    private RecordRejection CheckExpiry(long expiresUnixMs, DateTimeOffset now)
    {
        var nowMs = now.ToUnixTimeMilliseconds();
        if (expiresUnixMs <= nowMs)
        {
            return RecordRejection.Expired;
        }

        // Allow one request timeout of clock skew beyond the TTL.
        var limit = nowMs + (long)(_options.RecordTtl + _options.RequestTimeout).TotalMilliseconds;
        return expiresUnixMs > limit ? RecordRejection.ExpiryTooFar : RecordRejection.None;
    }
}
