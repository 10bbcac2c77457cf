namespace StreamFx.Diffusion.Text;

/// <summary>Prompt embeddings by exact prompt text; computed once per text (bounded, oldest evicted first).</summary>
public sealed class PromptEmbeddingCache(int embeddingLength, Action<string, float[]> compute, int capacity = 64)
{
    private readonly Dictionary<string, float[]> _byText = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();

    public int Misses { get; private set; }
    public int Count => _byText.Count;

    public float[] Get(string text)
    {
        if (_byText.TryGetValue(text, out var e)) return e;
        var embedding = new float[embeddingLength];
        compute(text, embedding);
        Misses++;
        if (_byText.Count >= capacity) _byText.Remove(_order.Dequeue());
        _byText[text] = embedding;
        _order.Enqueue(text);
        return embedding;
    }
}
