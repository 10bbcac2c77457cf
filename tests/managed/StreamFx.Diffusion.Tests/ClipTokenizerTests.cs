using System.Text.Json;
using StreamFx.Diffusion.Text;

namespace StreamFx.Diffusion.Tests;

public class ClipTokenizerTests
{
    // Hand-made vocabulary: the id is the index. Byte stand-ins derived by hand from the GPT-2 byte table:
    // bytes 0x21-0x7E, 0xA1-0xAC, 0xAE-0xFF map to themselves; the others, in order, to U+0100 upwards
    // (0x00-0x20 -> U+0100-U+0120, 0x7F-0xA0 -> U+0121-U+0142, 0xAD -> U+0143).
    private static readonly string[] Tokens =
    [
        "!", "a", "c", "t", "a</w>", "t</w>", "s</w>", "ca", "cat</w>", ".</w>",      // 0-9
        "1</w>", "2</w>", "'s</w>", "<|startoftext|>", "<|endoftext|>", "'", "!</w>",  // 10-16
        "f", "\u00C3", "\u00A9</w>",                                                   // 17-19: é = C3 A9
        "\u00F0", "\u0141", "\u0132", "\u00B1</w>",                                    // 20-23: 🐱 = F0 9F 90 B1
        "d", "o", "n", "don", "'t</w>",                                                // 24-28
    ];

    private static readonly (string, string)[] Merges = [("c", "a"), ("ca", "t</w>"), ("'", "s</w>"), ("d", "o"), ("do", "n"), ("'", "t</w>")];

    private static ClipTokenizer Make(string pad = "<|endoftext|>") =>
        new(Tokens.Select((t, i) => (t, i)).ToDictionary(p => p.t, p => p.i), Merges, padToken: pad);

    private static int[] Body(ClipTokenizer tok, string text) => tok.Tokenize(text).ToArray();

    [Fact]
    public void WordsMergeByRankAndPunctuationIsSeparate()
    {
        var tok = Make();
        // "a" -> a</w>; "cat" -> c a t</w> -> ca t</w> -> cat</w>; "." -> .</w>
        Assert.Equal(new[] { 4, 8, 9 }, Body(tok, "A cat."));
        // "!!" is one punctuation run: ! !</w>, no merge
        Assert.Equal(new[] { 8, 0, 16 }, Body(tok, "cat!!"));
    }

    [Fact]
    public void DigitsAreSingleTokens()
    {
        // "1","2" separately; "cats" -> c a t s</w> -> ca t s</w> (no rank for (ca,t) or (t,s</w>))
        Assert.Equal(new[] { 10, 11, 7, 3, 6 }, Body(Make(), "12 cats"));
    }

    [Fact]
    public void ApostropheSuffixesSplit()
    {
        // "cat's" -> "cat" + "'s"; "don't" -> "don" + "'t"; "don" -> d o n</w>: (d,o) -> do n</w>; ("do","n") has no
        // rank for "n</w>", so the word stays do + n</w>, which is not in the vocabulary -> unk (eos).
        var tok = Make();
        Assert.Equal(new[] { 8, 12 }, Body(tok, "cat's"));
        Assert.Equal(new[] { 14, 14, 28 }, Body(tok, "don't"));
    }

    [Fact]
    public void WhitespaceAndCaseAreCleaned()
    {
        Assert.Equal(new[] { 4, 8 }, Body(Make(), "  A\t\n CAT  "));
    }

    [Fact]
    public void UnicodeGoesThroughUtf8Bytes()
    {
        var tok = Make();
        // "café" -> bytes 63 61 66 C3 A9 -> c a f Ã ©</w> -> ca f Ã ©</w>
        Assert.Equal(new[] { 7, 17, 18, 19 }, Body(tok, "caf\u00E9"));
        // Cat emoji U+1F431 -> F0 9F 90 B1 -> ð Ł Ĳ ±</w> (a symbol run)
        Assert.Equal(new[] { 20, 21, 22, 23 }, Body(tok, "\U0001F431"));
        Assert.Equal("\u00F0\u0141\u0132\u00B1", ClipTokenizer.ByteEncode("\U0001F431"));
        Assert.Equal("\u0120", ClipTokenizer.ByteEncode(" "));
        Assert.Equal("\u0143", ClipTokenizer.ByteEncode("\u00AD")[1..]); // soft hyphen = C2 AD: AD -> U+0143
    }

    [Fact]
    public void EncodeAddsBosEosAndPads()
    {
        var ids = Make().Encode("a cat");
        Assert.Equal(77, ids.Length);
        Assert.Equal(new[] { 13, 4, 8, 14 }, ids[..4]);
        Assert.All(ids[4..], id => Assert.Equal(14, id));
        var bang = Make(pad: "!").Encode("a cat");
        Assert.Equal(new[] { 13, 4, 8, 14 }, bang[..4]);
        Assert.All(bang[4..], id => Assert.Equal(0, id));
    }

    [Fact]
    public void OverLongPromptIsTruncatedTo75Tokens()
    {
        var ids = Make().Encode(string.Concat(Enumerable.Repeat("a ", 100)));
        Assert.Equal(13, ids[0]);
        Assert.All(ids[1..76], id => Assert.Equal(4, id));
        Assert.Equal(14, ids[76]);
        var empty = Make().Encode("");
        Assert.Equal(new[] { 13, 14, 14 }, empty[..3]);
    }

    [Fact]
    public void LoadsFolderWithPadFromConfig()
    {
        string dir = Path.Combine(Path.GetTempPath(), "sfx-tok-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, "vocab.json"),
                JsonSerializer.Serialize(Tokens.Select((t, i) => (t, i)).ToDictionary(p => p.t, p => p.i)));
            File.WriteAllLines(Path.Combine(dir, "merges.txt"), new[] { "#version: 0.2" }.Concat(Merges.Select(m => m.Item1 + " " + m.Item2)));
            File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), """{"pad_token": "!", "bos_token": {"content": "<|startoftext|>"}}""");
            var tok = ClipTokenizer.Load(dir);
            Assert.Equal(0, tok.PadId);
            Assert.Equal(13, tok.BosId);
            Assert.Equal(new[] { 13, 4, 8, 9, 14, 0 }, tok.Encode("A cat.")[..6]);

            File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), """{"pad_token": "<pad>"}""");
            var e = Assert.Throws<TokenizerFormatException>(() => ClipTokenizer.Load(dir));
            Assert.Equal("pad_token", e.Field);
            Assert.Equal("<pad>", e.Found);

            File.Delete(Path.Combine(dir, "merges.txt"));
            e = Assert.Throws<TokenizerFormatException>(() => ClipTokenizer.Load(dir));
            Assert.EndsWith("merges.txt", e.File);
        }
        finally { Directory.Delete(dir, true); }
    }
}
