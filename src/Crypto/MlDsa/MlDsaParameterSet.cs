namespace Overlay.Crypto.MlDsa;

/// <summary>The three ML-DSA parameter sets of FIPS 204 §4, Table 1.</summary>
public enum MlDsaParameterSet
{
    /// <summary>ML-DSA-44 (NIST security category 2): 1312-byte public key, 2560-byte private key, 2420-byte signature.</summary>
    MlDsa44,

    /// <summary>ML-DSA-65 (category 3): 1952-byte public key, 4032-byte private key, 3309-byte signature.</summary>
    MlDsa65,

    /// <summary>ML-DSA-87 (category 5): 2592-byte public key, 4896-byte private key, 4627-byte signature.</summary>
    MlDsa87,
}
