using System.Buffers.Binary;

namespace Segmenter.IO;

/// <summary>
/// Reads the values of numpy scalars and arrays that <see cref="PthReader"/> kept as inert placeholders, from the
/// arguments and state the pickle gave them, without calling anything. numpy pickles (numpy/core/src/multiarray,
/// `array_reduce` / `gentype_reduce`; numpy/core/numeric.py `_frombuffer`):
/// a scalar as <c>scalar(dtype, raw bytes)</c>; an array as <c>_reconstruct(ndarray, (0,), b'b')</c> then BUILD with
/// <c>(version, shape, dtype, is_fortran, raw bytes)</c>, or at protocol 5 as <c>_frombuffer(bytes, dtype, shape, order)</c>;
/// a dtype as <c>dtype(code, False, True)</c> then BUILD with <c>(version, byte order, ...)</c>.
/// Numbers come back as long (signed and unsigned integers), double (floats) or bool; arrays as nested
/// <c>List&lt;object?&gt;</c>, row-major. Arrays of more than <see cref="MaxElements"/> elements are not decoded (what is read
/// from a checkpoint's meta is small: class names, a palette, a best score).
/// </summary>
internal static class PickledNumpy
{
    /// <summary>The most array elements decoded (each becomes a boxed .NET value).</summary>
    public const int MaxElements = 1 << 16;

    /// <summary>
    /// <paramref name="value"/> itself when it is a plain .NET value, the number or nested list a numpy scalar or array
    /// placeholder holds, or null when it is another placeholder or an array this reader does not decode.
    /// </summary>
    public static object? Decode(object? value)
    {
        if (value is not PthReader.PickleObject o) return value;
        switch (Name(o))
        {
            case "multiarray.scalar":
                {
                    if (o.Args is not object?[] { Length: 2 } a || Dtype(a[0]) is not { } dtype || a[1] is not byte[] raw || raw.Length != dtype.Size)
                        return null;
                    return Element(raw, 0, dtype);
                }
            case "multiarray._reconstruct":
                {
                    // State (version, shape, dtype, is_fortran, data): version 1 since numpy 1.x.
                    if (o.State is not object?[] { Length: 5 } s || Shape(s[1]) is not { } shape || Dtype(s[2]) is not { } dtype ||
                        s[3] is not bool fortran || s[4] is not byte[] raw)
                        return null;
                    return Array(raw, shape, dtype, fortran);
                }
            case "numeric._frombuffer":
                {
                    if (o.Args is not object?[] { Length: 4 } a || a[0] is not byte[] raw || Dtype(a[1]) is not { } dtype ||
                        Shape(a[2]) is not { } shape || a[3] is not string order)
                        return null;
                    return Array(raw, shape, dtype, order == "F");
                }
            default:
                return null;
        }
    }

    /// <summary>The global's name without the numpy 1 / numpy 2 package prefix, or "" for other placeholders.</summary>
    private static string Name(PthReader.PickleObject o) => o.Type.Module switch
    {
        "numpy.core.multiarray" or "numpy._core.multiarray" => "multiarray." + o.Type.Name,
        "numpy.core.numeric" or "numpy._core.numeric" => "numeric." + o.Type.Name,
        _ => "",
    };

    private enum Kind { Float, Signed, Unsigned, Bool }

    private sealed record DType(Kind Kind, int Size);

    /// <summary>A numpy.dtype placeholder of a little-endian (or byte-order-free) number type, e.g. dtype('f8', False, True) with state (3, '&lt;', ...).</summary>
    private static DType? Dtype(object? v)
    {
        if (v is not PthReader.PickleObject { Type: { Module: "numpy", Name: "dtype" } } d || d.Args is not object?[] { Length: >= 1 } a ||
            a[0] is not string code || code.Length < 2)
            return null;
        if (d.State is object?[] { Length: >= 2 } s && s[1] is string order && order is not ("<" or "|" or "="))
            return null; // big-endian data
        if (!int.TryParse(code.AsSpan(1), out int size)) return null;
        DType? t = code[0] switch
        {
            'f' => new DType(Kind.Float, size),
            'i' => new DType(Kind.Signed, size),
            'u' => new DType(Kind.Unsigned, size),
            'b' => new DType(Kind.Bool, size),
            _ => null,
        };
        return t is null ? null : (t.Kind, t.Size) switch
        {
            (Kind.Float, 2 or 4 or 8) or (Kind.Signed or Kind.Unsigned, 1 or 2 or 4 or 8) or (Kind.Bool, 1) => t,
            _ => null,
        };
    }

    private static long[]? Shape(object? v)
    {
        if (v is not object?[] dims) return null;
        var shape = new long[dims.Length];
        for (int i = 0; i < dims.Length; i++)
            if (dims[i] is long d && d >= 0) shape[i] = d;
            else return null;
        return shape;
    }

    private static object? Array(byte[] raw, long[] shape, DType dtype, bool fortran)
    {
        long count = 1;
        foreach (var d in shape)
        {
            if (d > MaxElements) return null;
            count *= d;
            if (count > MaxElements) return null;
        }
        if (raw.Length != count * dtype.Size) return null;
        // Element (i0, ..., ik) lies at sum(i_j * stride_j); C order: the last index varies fastest, Fortran: the first.
        var strides = new long[shape.Length];
        long step = 1;
        for (int j = 0; j < shape.Length; j++)
        {
            int axis = fortran ? j : shape.Length - 1 - j;
            strides[axis] = step;
            step *= shape[axis];
        }
        return Build(raw, shape, strides, dtype, 0, 0);
    }

    private static object? Build(byte[] raw, long[] shape, long[] strides, DType dtype, int axis, long offset)
    {
        if (axis == shape.Length) return Element(raw, (int)(offset * dtype.Size), dtype);
        var list = new List<object?>((int)shape[axis]);
        for (long i = 0; i < shape[axis]; i++) list.Add(Build(raw, shape, strides, dtype, axis + 1, offset + i * strides[axis]));
        return list;
    }

    private static object Element(byte[] raw, int at, DType t)
    {
        var b = raw.AsSpan(at, t.Size);
        return (t.Kind, t.Size) switch
        {
            (Kind.Float, 8) => BinaryPrimitives.ReadDoubleLittleEndian(b),
            (Kind.Float, 4) => (double)BinaryPrimitives.ReadSingleLittleEndian(b),
            (Kind.Float, _) => (double)BinaryPrimitives.ReadHalfLittleEndian(b),
            (Kind.Signed, 8) => BinaryPrimitives.ReadInt64LittleEndian(b),
            (Kind.Signed, 4) => (long)BinaryPrimitives.ReadInt32LittleEndian(b),
            (Kind.Signed, 2) => (long)BinaryPrimitives.ReadInt16LittleEndian(b),
            (Kind.Signed, _) => (long)(sbyte)b[0],
            (Kind.Unsigned, 8) => (long)BinaryPrimitives.ReadUInt64LittleEndian(b), // wraps above long.MaxValue
            (Kind.Unsigned, 4) => (long)BinaryPrimitives.ReadUInt32LittleEndian(b),
            (Kind.Unsigned, 2) => (long)BinaryPrimitives.ReadUInt16LittleEndian(b),
            (Kind.Unsigned, _) => (long)b[0],
            _ => b[0] != 0,
        };
    }
}
