using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using StreamFx.ModelPack.Diffusion;

namespace StreamFx.ModelPack.Tokenizer;

/// <summary>Writes tokenizer/ in the Hugging Face CLIPTokenizer layout (docs/models.md, "tokenizer/").</summary>
public static class TokenizerFiles
{
    public const string VocabFileName = "vocab.json";
    public const string MergesFileName = "merges.txt";
    public const string ConfigFileName = "tokenizer_config.json";
    public const string SpecialTokensFileName = "special_tokens_map.json";

    private static readonly JsonWriterOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonWriterOptions Indented = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = true };

    public static void Write(string folder, PackOptions options)
    {
        Directory.CreateDirectory(folder);
        (IReadOnlyList<(string Left, string Right)> merges, IReadOnlyList<string> vocabulary) = ClipVocabularyGenerator.Generate();

        WriteJson(Path.Combine(folder, VocabFileName), Compact, w =>
        {
            for (int id = 0; id < vocabulary.Count; id++)
            {
                w.WriteNumber(vocabulary[id], id);
            }
        });

        var text = new StringBuilder(merges.Count * 12);
        text.Append("#version: 0.2\n");
        foreach ((string left, string right) in merges)
        {
            text.Append(left).Append(' ').Append(right).Append('\n');
        }

        File.WriteAllText(Path.Combine(folder, MergesFileName), text.ToString(), new UTF8Encoding(false));

        string pad = options.PadTokenId == ClipVocabularyIds.EndOfText ? ClipVocabularyGenerator.EndOfTextToken : vocabulary[options.PadTokenId];
        WriteJson(Path.Combine(folder, ConfigFileName), Indented, w =>
        {
            w.WriteBoolean("add_prefix_space", false);
            w.WriteString("bos_token", ClipVocabularyGenerator.StartOfTextToken);
            w.WriteBoolean("clean_up_tokenization_spaces", true);
            w.WriteBoolean("do_lower_case", true);
            w.WriteString("eos_token", ClipVocabularyGenerator.EndOfTextToken);
            w.WriteString("errors", "replace");
            w.WriteNumber("model_max_length", ClipVocabularyIds.MaxLength);
            w.WriteString("pad_token", pad);
            w.WriteString("tokenizer_class", "CLIPTokenizer");
            w.WriteString("unk_token", ClipVocabularyGenerator.EndOfTextToken);
        });
        WriteJson(Path.Combine(folder, SpecialTokensFileName), Indented, w =>
        {
            w.WriteString("bos_token", ClipVocabularyGenerator.StartOfTextToken);
            w.WriteString("eos_token", ClipVocabularyGenerator.EndOfTextToken);
            w.WriteString("pad_token", pad);
            w.WriteString("unk_token", ClipVocabularyGenerator.EndOfTextToken);
        });
    }

    private static void WriteJson(string path, JsonWriterOptions options, Action<Utf8JsonWriter> properties)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, options))
        {
            w.WriteStartObject();
            properties(w);
            w.WriteEndObject();
        }

        buffer.Write("\n"u8);
        File.WriteAllBytes(path, buffer.ToArray());
    }
}
