namespace Overlay.Crypto.MlDsa;

/// <summary>FIPS 204 Table 1 for one parameter set, plus the encoding sizes derived from it (Table 2).</summary>
internal sealed class MlDsaParameters
{
    public const int N = 256;
    public const int Q = 8380417;
    public const int D = 13;
    public const int SeedBytes = 32;
    public const int TrBytes = 64;
    public const int PolyT1Bytes = 320;
    public const int PolyT0Bytes = 416;

    public static readonly MlDsaParameters MlDsa44 = new(MlDsaParameterSet.MlDsa44, k: 4, l: 4, eta: 2, tau: 39, lambda: 128, gamma1Bits: 17, gamma2: (Q - 1) / 88, omega: 80);
    public static readonly MlDsaParameters MlDsa65 = new(MlDsaParameterSet.MlDsa65, k: 6, l: 5, eta: 4, tau: 49, lambda: 192, gamma1Bits: 19, gamma2: (Q - 1) / 32, omega: 55);
    public static readonly MlDsaParameters MlDsa87 = new(MlDsaParameterSet.MlDsa87, k: 8, l: 7, eta: 2, tau: 60, lambda: 256, gamma1Bits: 19, gamma2: (Q - 1) / 32, omega: 75);

    private MlDsaParameters(MlDsaParameterSet set, int k, int l, int eta, int tau, int lambda, int gamma1Bits, int gamma2, int omega)
    {
        Set = set;
        K = k;
        L = l;
        Eta = eta;
        Tau = tau;
        Beta = tau * eta;
        CTildeBytes = lambda / 4;
        Gamma1Bits = gamma1Bits;
        Gamma1 = 1 << gamma1Bits;
        Gamma2 = gamma2;
        Omega = omega;
        EtaBits = eta == 2 ? 3 : 4;
        W1Bits = gamma2 == (Q - 1) / 88 ? 6 : 4;
        ZBits = gamma1Bits + 1;
        PolyEtaBytes = 32 * EtaBits;
        PolyZBytes = 32 * ZBits;
        PolyW1Bytes = 32 * W1Bits;
        PublicKeySize = SeedBytes + (k * PolyT1Bytes);
        PrivateKeySize = (2 * SeedBytes) + TrBytes + ((k + l) * PolyEtaBytes) + (k * PolyT0Bytes);
        SignatureSize = CTildeBytes + (l * PolyZBytes) + omega + k;
    }

    public MlDsaParameterSet Set { get; }
    public int K { get; }
    public int L { get; }
    public int Eta { get; }
    public int Tau { get; }
    public int Beta { get; }
    public int CTildeBytes { get; }
    public int Gamma1Bits { get; }
    public int Gamma1 { get; }
    public int Gamma2 { get; }
    public int Omega { get; }
    public int EtaBits { get; }
    public int W1Bits { get; }
    public int ZBits { get; }
    public int PolyEtaBytes { get; }
    public int PolyZBytes { get; }
    public int PolyW1Bytes { get; }
    public int PublicKeySize { get; }
    public int PrivateKeySize { get; }
    public int SignatureSize { get; }

    public static MlDsaParameters Get(MlDsaParameterSet set) => set switch
    {
        MlDsaParameterSet.MlDsa44 => MlDsa44,
        MlDsaParameterSet.MlDsa65 => MlDsa65,
        MlDsaParameterSet.MlDsa87 => MlDsa87,
        _ => throw new ArgumentOutOfRangeException(nameof(set), set, "Unknown ML-DSA parameter set."),
    };
}
