namespace Overlay.Dht.Records;

/// <summary>Kind byte of an encoded record.</summary>
public enum RecordKind : byte
{
    /// <summary>A signed key → value record (<see cref="DhtRecord"/>).</summary>
    Value = 1,

    /// <summary>A provider record (<see cref="ProviderRecord"/>).</summary>
    Provider = 2,

    /// <summary>A batch of provider ids under one signature over their Merkle root (<see cref="ProviderBatch"/>), only in a STORE.</summary>
    ProviderBatch = 3,

    /// <summary>One id of a provider batch with its Merkle path (<see cref="ProviderRecord"/> with a <see cref="ProviderBatchProof"/>).</summary>
    BatchedProvider = 4,
}
