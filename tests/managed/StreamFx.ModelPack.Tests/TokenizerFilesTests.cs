using System.Text.Json;
using StreamFx.ModelPack.Tokenizer;

namespace StreamFx.ModelPack.Tests;

[Collection(PackCollection.Name)]
public sealed class TokenizerFilesTests(PackFixture packs)
{
    [Fact]
    public void Vocabulary_has_the_real_clip_layout()
    {
        var tokenizer = new TestTokenizer(Path.Combine(packs.Folder("default"), "tokenizer"), 0);
        IReadOnlyDictionary<string, int> vocab = tokenizer.Vocabulary;
        Assert.Equal(49408, vocab.Count);
        Assert.Equal(Enumerable.Range(0, 49408), vocab.Values.Order());
        Assert.Equal(49406, vocab["<|startoftext|>"]);
        Assert.Equal(49407, vocab["<|endoftext|>"]);
        Assert.Equal(0, vocab["!"]);
        Assert.Equal(256, vocab["!</w>"]);
        // The space byte maps to U+0120 and sits after the 188 printable characters.
        Assert.Equal("\u0120", ByteLevelAlphabet.ToChar((byte)' ').ToString());
        Assert.Equal(188 + 32, vocab["\u0120"]);

        // Every merge yields the token with id 512 + its rank, built from tokens already in the vocabulary.
        Assert.Equal(48894, tokenizer.Ranks.Count);
        foreach (((string left, string right), int rank) in tokenizer.Ranks)
        {
            Assert.Equal(512 + rank, vocab[left + right]);
            Assert.True(vocab[left] < 512 + rank && vocab[right] < 512 + rank, $"merge {rank} uses a later token");
        }
    }

    [Fact]
    public void Common_prompt_words_are_single_tokens_and_unknown_words_still_tokenize()
    {
        var tokenizer = new TestTokenizer(Path.Combine(packs.Folder("default"), "tokenizer"), 0);
        foreach (string word in new[] { "a", "photo", "of", "cat", "dog", "cyberpunk", "watercolor" })
        {
            Assert.Equal([word + "</w>"], tokenizer.WordTokens(word));
        }

        List<string> pieces = tokenizer.WordTokens("zzqxv");
        Assert.True(pieces.Count > 1);
        Assert.Equal("zzqxv</w>", string.Concat(pieces));
        Assert.All(pieces, p => Assert.True(tokenizer.Vocabulary.ContainsKey(p)));
    }

    [Theory]
    [InlineData("default", "!", 0)]
    [InlineData("sd15-fp16", "<|endoftext|>", 49407)]
    public void Pad_token_follows_the_family(string variant, string padToken, int padId)
    {
        string folder = Path.Combine(packs.Folder(variant), "tokenizer");
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "tokenizer_config.json")));
        Assert.Equal(padToken, config.RootElement.GetProperty("pad_token").GetString());
        Assert.Equal(77, config.RootElement.GetProperty("model_max_length").GetInt32());
        Assert.Equal("<|startoftext|>", config.RootElement.GetProperty("bos_token").GetString());
        var tokenizer = new TestTokenizer(folder, padId);
        Assert.Equal(padId, tokenizer.Vocabulary[padToken]);
    }
}
