using System.Text.Json;
using Overlay.Crypto.Sodium;

namespace Overlay.Crypto.Tests.Sodium;

/// <summary>
/// Every case of the Wycheproof Ed25519, X25519, ChaCha20-Poly1305 and XChaCha20-Poly1305 files. Each
/// test walks the whole file, collects every mismatch with its tcId, and checks that it saw exactly
/// <c>numberOfTests</c> cases so a silently skipped group cannot pass.
/// </summary>
public sealed class WycheproofConformanceTests
{
    [Fact]
    public void Ed25519Verify_AllCases_MatchExpectedResult()
    {
        using var doc = Wycheproof.Load("ed25519_test.json");
        var failures = new List<string>();
        int seen = 0, valid = 0, invalid = 0;
        foreach (var group in doc.RootElement.GetProperty("testGroups").EnumerateArray())
        {
            var pk = Convert.FromHexString(group.GetProperty("publicKey").GetProperty("pk").GetString()!);
            foreach (var test in group.GetProperty("tests").EnumerateArray())
            {
                seen++;
                var expected = Wycheproof.Result(test);
                var ok = Algorithm.Ed25519.Verify(pk, Wycheproof.Bytes(test, "msg"), Wycheproof.Bytes(test, "sig"));
                if (expected == "valid")
                {
                    valid++;
                    if (!ok) failures.Add($"tcId {Wycheproof.Id(test)}: valid signature rejected ({test.GetProperty("comment")})");
                }
                else
                {
                    invalid++;
                    Assert.Equal("invalid", expected);
                    if (ok) failures.Add($"tcId {Wycheproof.Id(test)}: invalid signature accepted ({test.GetProperty("comment")})");
                }
            }
        }

        Assert.Empty(failures);
        Assert.Equal(doc.RootElement.GetProperty("numberOfTests").GetInt32(), seen);
        Assert.Equal((88, 63), (valid, invalid));
    }

    [Fact]
    public void X25519Agree_AllCases_MatchExpectedResult()
    {
        using var doc = Wycheproof.Load("x25519_test.json");
        var failures = new List<string>();
        int seen = 0, zeroRejected = 0, acceptableAccepted = 0;
        Span<byte> shared = stackalloc byte[X25519Algorithm.SharedSecretSize];
        foreach (var group in doc.RootElement.GetProperty("testGroups").EnumerateArray())
        {
            Assert.Equal("curve25519", group.GetProperty("curve").GetString());
            foreach (var test in group.GetProperty("tests").EnumerateArray())
            {
                seen++;
                var id = Wycheproof.Id(test);
                var expectedShared = Wycheproof.Bytes(test, "shared");
                var zeroExpected = Array.TrueForAll(expectedShared, b => b == 0);
                using var key = Key.Import(Algorithm.X25519, Wycheproof.Bytes(test, "private"));
                var result = Algorithm.X25519.Agree(key, Wycheproof.Bytes(test, "public"), shared);
                switch (Wycheproof.Result(test))
                {
                    case "valid":
                        if (result != KeyAgreementResult.Success || !shared.SequenceEqual(expectedShared))
                            failures.Add($"tcId {id}: valid case gave {result}");
                        break;
                    case "acceptable" when zeroExpected:
                        // The README's rule for libsodium: an all-zero shared secret must be an error.
                        if (result != KeyAgreementResult.ZeroSharedSecret || shared.ContainsAnyExcept((byte)0))
                            failures.Add($"tcId {id}: zero shared secret gave {result}");
                        zeroRejected++;
                        break;
                    case "acceptable":
                        // Twist points and non-canonical encodings may go either way; if accepted, the
                        // secret must be the one Wycheproof computed.
                        if (result == KeyAgreementResult.Success)
                        {
                            acceptableAccepted++;
                            if (!shared.SequenceEqual(expectedShared))
                                failures.Add($"tcId {id}: acceptable case accepted with a different secret");
                        }
                        break;
                    default:
                        if (result == KeyAgreementResult.Success)
                            failures.Add($"tcId {id}: invalid case accepted");
                        break;
                }
            }
        }

        Assert.Empty(failures);
        Assert.Equal(doc.RootElement.GetProperty("numberOfTests").GetInt32(), seen);
        Assert.True(zeroRejected > 0, "The file has zero-shared-secret cases; none were seen.");
        Assert.True(acceptableAccepted > 0, "Twist and non-canonical cases compute a secret in libsodium; none did.");
    }

    [Fact]
    public void ChaCha20Poly1305_AllCases_MatchExpectedResult() => RunAead("chacha20_poly1305_test.json", Algorithm.ChaCha20Poly1305);

    [Fact]
    public void XChaCha20Poly1305_AllCases_MatchExpectedResult() => RunAead("xchacha20_poly1305_test.json", Algorithm.XChaCha20Poly1305);

    private static void RunAead(string file, AeadAlgorithm aead)
    {
        using var doc = Wycheproof.Load(file);
        var failures = new List<string>();
        int seen = 0, run = 0, wrongNonceRejected = 0;
        foreach (var group in doc.RootElement.GetProperty("testGroups").EnumerateArray())
        {
            Assert.Equal(256, group.GetProperty("keySize").GetInt32());
            Assert.Equal(128, group.GetProperty("tagSize").GetInt32());
            var nonceBits = group.GetProperty("ivSize").GetInt32();
            foreach (var test in group.GetProperty("tests").EnumerateArray())
            {
                seen++;
                var id = Wycheproof.Id(test);
                using var key = Key.Import(aead, Wycheproof.Bytes(test, "key"));
                var nonce = Wycheproof.Bytes(test, "iv");
                var aad = Wycheproof.Bytes(test, "aad");
                var msg = Wycheproof.Bytes(test, "msg");
                byte[] combined = [.. Wycheproof.Bytes(test, "ct"), .. Wycheproof.Bytes(test, "tag")];
                var expected = Wycheproof.Result(test);

                if (nonceBits != aead.NonceSize * 8)
                {
                    // A nonce length the construction does not define: the binding must refuse it.
                    Assert.Equal("invalid", expected);
                    var output = new byte[Math.Max(0, combined.Length - AeadAlgorithm.TagSize)];
                    Assert.Throws<ArgumentException>(() => aead.Decrypt(key, nonce, aad, combined, output));
                    Assert.Throws<ArgumentException>(() => aead.Encrypt(key, nonce, aad, msg, new byte[msg.Length + AeadAlgorithm.TagSize]));
                    wrongNonceRejected++;
                    continue;
                }

                run++;
                var plaintext = new byte[Math.Max(0, combined.Length - AeadAlgorithm.TagSize)];
                var opened = aead.Decrypt(key, nonce, aad, combined, plaintext);
                if (expected == "valid")
                {
                    if (!opened || !plaintext.AsSpan().SequenceEqual(msg))
                        failures.Add($"tcId {id}: valid ciphertext did not decrypt to the message");

                    var sealedBytes = new byte[msg.Length + AeadAlgorithm.TagSize];
                    aead.Encrypt(key, nonce, aad, msg, sealedBytes);
                    if (!sealedBytes.AsSpan().SequenceEqual(combined))
                        failures.Add($"tcId {id}: encryption differs from the vector");
                }
                else
                {
                    Assert.Equal("invalid", expected);
                    if (opened) failures.Add($"tcId {id}: invalid ciphertext accepted ({test.GetProperty("comment")})");
                    if (plaintext.AsSpan().ContainsAnyExcept((byte)0))
                        failures.Add($"tcId {id}: rejected ciphertext still wrote plaintext");
                }
            }
        }

        Assert.Empty(failures);
        Assert.Equal(doc.RootElement.GetProperty("numberOfTests").GetInt32(), seen);
        Assert.Equal(9, wrongNonceRejected);
        Assert.Equal(seen - 9, run);
    }
}
