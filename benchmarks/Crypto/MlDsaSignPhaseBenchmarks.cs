using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Overlay.Crypto.MlDsa;

namespace Overlay.Benchmarks.Crypto;

/// <summary>
/// Where signing time goes: replays Sign_internal's rejection loop (the same calls MlDsaSigner.Sign makes, with an
/// expanded key) and accumulates Stopwatch ticks per phase. The global cleanup prints the breakdown per signature.
/// Run: --filter '*MlDsaSignPhase*'.
/// </summary>
public class MlDsaSignPhaseBenchmarks
{
    private const int N = 256;

    private static readonly string[] PhaseNames =
    [
        "mu and rho''",
        "ExpandMask (SHAKE256 x l, unpack)",
        "NTT(y)",
        "A o NTT(y) (pointwise)",
        "reduce, invNTT(w), caddq",
        "Decompose(w)",
        "pack w1, H(mu || w1)",
        "SampleInBall, NTT(c)",
        "z = y + invNTT(c o s1), norm",
        "r0 = w0 - invNTT(c o s2), norm",
        "invNTT(c o t0), norm",
        "MakeHint",
        "pack signature",
    ];

    private readonly long[] _ticks = new long[PhaseNames.Length];
    private MlDsaParameters _p = null!;
    private int[] _a = [], _s1 = [], _s2 = [], _t0 = [];
    private byte[] _seedMaterial = [];
    private int[] _y = [], _z = [], _w0 = [], _w1 = [], _tmp = [], _c = [];
    private byte[] _w1Packed = [], _cTilde = [], _mu = [], _rhoSecond = [], _signature = [], _message = [], _rnd = [];
    private Random _random = null!;
    private long _signs;
    private long _attempts;
    private long _last;

    [Params(MlDsaParameterSet.MlDsa44, MlDsaParameterSet.MlDsa65, MlDsaParameterSet.MlDsa87)]
    public MlDsaParameterSet Set { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _p = MlDsaParameters.Get(Set);
        int k = _p.K, l = _p.L;
        var seed = new byte[32];
        new Random(204).NextBytes(seed);
        var pk = new byte[_p.PublicKeySize];
        var sk = new byte[_p.PrivateKeySize];
        MlDsaAlgorithm.GenerateKey(Set, seed, pk, sk);
        var expanded = new int[MlDsaKeys.ExpandedLength(_p)];
        _seedMaterial = new byte[MlDsaKeys.SeedMaterialBytes];
        MlDsaKeys.TryExpandPrivateKey(_p, sk, expanded, _seedMaterial);
        _a = expanded.AsSpan(0, k * l * N).ToArray();
        _s1 = expanded.AsSpan(k * l * N, l * N).ToArray();
        _s2 = expanded.AsSpan((k * l * N) + (l * N), k * N).ToArray();
        _t0 = expanded.AsSpan((k * l * N) + ((l + k) * N), k * N).ToArray();
        _y = new int[l * N];
        _z = new int[l * N];
        _w0 = new int[k * N];
        _w1 = new int[k * N];
        _tmp = new int[k * N];
        _c = new int[N];
        _w1Packed = new byte[k * _p.PolyW1Bytes];
        _cTilde = new byte[64];
        _mu = new byte[64];
        _rhoSecond = new byte[64];
        _signature = new byte[_p.SignatureSize];
        _message = new byte[64];
        _rnd = new byte[32];
        _random = new Random(7);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        long total = 0;
        foreach (var t in _ticks)
        {
            total += t;
        }

        Console.WriteLine($"// Sign phases for {Set}: {_signs} signatures, {(double)_attempts / _signs:F2} attempts per signature, {Micros(total):F1} us per signature");
        for (var i = 0; i < PhaseNames.Length; i++)
        {
            Console.WriteLine($"//   {PhaseNames[i],-36} {Micros(_ticks[i]),8:F1} us  {100.0 * _ticks[i] / total,5:F1} %");
        }
    }

    [Benchmark]
    public void InstrumentedSign()
    {
        var p = _p;
        int k = p.K, l = p.L;
        _random.NextBytes(_message);
        _random.NextBytes(_rnd);
        _signs++;
        _last = Stopwatch.GetTimestamp();
        MessageRepresentative.External(_seedMaterial.AsSpan(64, 64), default, _message, _mu);
        var shake = Shake.Create256();
        shake.Absorb(_seedMaterial.AsSpan(32, 32));
        shake.Absorb(_rnd);
        shake.Absorb(_mu);
        shake.Squeeze(_rhoSecond);
        Mark(0);
        for (var kappa = 0; ; kappa += l)
        {
            _attempts++;
            Sampling.ExpandMask(_rhoSecond, kappa, p, _y);
            Mark(1);
            _y.CopyTo(_z, 0);
            for (var j = 0; j < l; j++)
            {
                PolyMath.Ntt(_z.AsSpan(j * N, N));
            }

            Mark(2);
            Array.Clear(_w0);
            for (var i = 0; i < k; i++)
            {
                for (var j = 0; j < l; j++)
                {
                    PolyMath.PointwiseAccumulate(_w0.AsSpan(i * N, N), _a.AsSpan(((i * l) + j) * N, N), _z.AsSpan(j * N, N));
                }
            }

            Mark(3);
            for (var i = 0; i < k; i++)
            {
                var wi = _w0.AsSpan(i * N, N);
                PolyMath.Reduce(wi);
                PolyMath.InvNttToMont(wi);
                PolyMath.CAddQ(wi);
            }

            Mark(4);
            PolyMath.Decompose(_w0, _w1, p.Gamma2);
            Mark(5);
            for (var i = 0; i < k; i++)
            {
                Packing.PackSimple(_w1.AsSpan(i * N, N), p.W1Bits, _w1Packed.AsSpan(i * p.PolyW1Bytes, p.PolyW1Bytes));
            }

            shake = Shake.Create256();
            shake.Absorb(_mu);
            shake.Absorb(_w1Packed);
            shake.Squeeze(_cTilde.AsSpan(0, p.CTildeBytes));
            Mark(6);
            Sampling.SampleInBall(_cTilde.AsSpan(0, p.CTildeBytes), p.Tau, _c);
            PolyMath.Ntt(_c);
            Mark(7);
            for (var j = 0; j < l; j++)
            {
                var zj = _z.AsSpan(j * N, N);
                PolyMath.PointwiseMontgomery(zj, _c, _s1.AsSpan(j * N, N));
                PolyMath.InvNttToMont(zj);
            }

            PolyMath.Add(_z, _y);
            PolyMath.Reduce(_z);
            var reject = PolyMath.ExceedsNorm(_z, p.Gamma1 - p.Beta);
            Mark(8);
            if (reject)
            {
                continue;
            }

            for (var i = 0; i < k; i++)
            {
                var ti = _tmp.AsSpan(i * N, N);
                PolyMath.PointwiseMontgomery(ti, _c, _s2.AsSpan(i * N, N));
                PolyMath.InvNttToMont(ti);
            }

            PolyMath.Subtract(_w0, _tmp);
            PolyMath.Reduce(_w0);
            reject = PolyMath.ExceedsNorm(_w0, p.Gamma2 - p.Beta);
            Mark(9);
            if (reject)
            {
                continue;
            }

            for (var i = 0; i < k; i++)
            {
                var ti = _tmp.AsSpan(i * N, N);
                PolyMath.PointwiseMontgomery(ti, _c, _t0.AsSpan(i * N, N));
                PolyMath.InvNttToMont(ti);
            }

            PolyMath.Reduce(_tmp);
            reject = PolyMath.ExceedsNorm(_tmp, p.Gamma2);
            Mark(10);
            if (reject)
            {
                continue;
            }

            PolyMath.Add(_w0, _tmp);
            reject = PolyMath.MakeHints(_w0, _w1, _tmp, p.Gamma2) > p.Omega;
            Mark(11);
            if (reject)
            {
                continue;
            }

            _cTilde.AsSpan(0, p.CTildeBytes).CopyTo(_signature);
            var offset = p.CTildeBytes;
            for (var j = 0; j < l; j++, offset += p.PolyZBytes)
            {
                Packing.PackOffset(_z.AsSpan(j * N, N), p.ZBits, p.Gamma1, _signature.AsSpan(offset, p.PolyZBytes));
            }

            Packing.PackHint(_tmp, k, p.Omega, _signature.AsSpan(offset, p.Omega + k));
            Mark(12);
            return;
        }
    }

    private void Mark(int phase)
    {
        var now = Stopwatch.GetTimestamp();
        _ticks[phase] += now - _last;
        _last = now;
    }

    private double Micros(long ticks) => ticks * 1e6 / Stopwatch.Frequency / _signs;
}
