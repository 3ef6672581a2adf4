// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Sha512} from "./Sha512.sol";

/// @title Ed25519 signature verification (RFC 8032), as strict as the network's own rule.
/// @notice The hub checks that a validator controls the ed25519 network key it registers. A
/// signature passes only if: `S < L`; the key decodes canonically (`y < p`) and is not of small
/// order; and `[S]B - [h]A`, encoded, equals the signature's `R` byte for byte (so `R` is
/// canonical too), with `h = SHA-512(R || A || M) mod L`. Keys and `R` are the 32 bytes of
/// their RFC 8032 encoding, as they appear on the wire.
library Ed25519 {
    uint256 private constant P = 0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffed;
    uint256 private constant L = 0x1000000000000000000000000000000014def9dea2f79cd65812631a5cf5d3ed;
    uint256 private constant D = 0x52036cee2b6ffe738cc740797779e89800700a4d4141d8ab75eb4dca135978a3;
    uint256 private constant D2 = 0x2406d9dc56dffce7198e80f2eef3d13000e0149a8283b156ebd69b9426b2f159;
    uint256 private constant SQRT_M1 = 0x2b8324804fc1df0b2b4d00993dfbd7a72f431806ad2fe478c4ee1b274a0ea0b0;
    uint256 private constant BX = 0x216936d3cd6e53fec0a4e231fdd6dc5c692cc7609525a7b2c9562d608f25d51a;
    uint256 private constant BY = 0x6666666666666666666666666666666666666666666666666666666666666658;
    /// 2^256 mod L, to reduce a 512-bit hash.
    uint256 private constant R256 = 0x0ffffffffffffffffffffffffffffffec6ef5bf4737dcf70d6ec31748d98951d;

    /// A point in extended twisted Edwards coordinates: x = X/Z, y = Y/Z, x*y = T/Z.
    struct Point {
        uint256 x;
        uint256 y;
        uint256 z;
        uint256 t;
    }

    /// @notice Whether `(r, s)` is `key`'s signature of `message`.
    function verify(bytes32 key, bytes32 r, bytes32 s, bytes memory message) internal view returns (bool) {
        uint256 scalar = reverse(uint256(s));
        if (scalar >= L) return false;
        (bool ok, Point memory a) = decode(reverse(uint256(key)));
        if (!ok || smallOrder(a)) return false;
        (bytes32 first, bytes32 second) = Sha512.hash(bytes.concat(r, key, message));
        uint256 h = addmod(reverse(uint256(first)) % L, mulmod(reverse(uint256(second)), R256, L), L);
        uint256 negX = (P - a.x) % P;
        Point memory negA = Point(negX, a.y, 1, mulmod(negX, a.y, P));
        return encode(combine(scalar, h, negA)) == reverse(uint256(r));
    }

    /// `[s]B + [h]Q` by one shared double-and-add over the bits of both scalars.
    function combine(uint256 s, uint256 h, Point memory q) private pure returns (Point memory acc) {
        Point memory b = Point(BX, BY, 1, mulmod(BX, BY, P));
        Point memory bq = add(b, q);
        acc = Point(0, 1, 1, 0);
        for (uint256 i = 253; i > 0; i--) {
            acc = double(acc);
            uint256 bitS = (s >> (i - 1)) & 1;
            uint256 bitH = (h >> (i - 1)) & 1;
            if (bitS == 1 && bitH == 1) {
                acc = add(acc, bq);
            } else if (bitS == 1) {
                acc = add(acc, b);
            } else if (bitH == 1) {
                acc = add(acc, q);
            }
        }
    }

    /// Whether `[8]a` is the identity.
    function smallOrder(Point memory a) private pure returns (bool) {
        Point memory e = double(double(double(a)));
        return e.x == 0 && e.y == e.z;
    }

    /// The point whose RFC 8032 encoding, read little-endian, is `v`; false if none (x^2 has no
    /// root, the y coordinate is not below p, or x = 0 with the sign bit set).
    function decode(uint256 v) private view returns (bool, Point memory) {
        uint256 sign = v >> 255;
        uint256 y = v & ((1 << 255) - 1);
        Point memory none;
        if (y >= P) return (false, none);
        uint256 y2 = mulmod(y, y, P);
        uint256 u = addmod(y2, P - 1, P);
        uint256 w = addmod(mulmod(D, y2, P), 1, P);
        uint256 w3 = mulmod(mulmod(w, w, P), w, P);
        uint256 w7 = mulmod(mulmod(w3, w3, P), w, P);
        uint256 x = mulmod(mulmod(u, w3, P), power(mulmod(u, w7, P), (P - 5) / 8), P);
        uint256 wx2 = mulmod(w, mulmod(x, x, P), P);
        if (wx2 != u) {
            if (wx2 != P - u) return (false, none);
            x = mulmod(x, SQRT_M1, P);
        }
        if (x == 0 && sign == 1) return (false, none);
        if (x & 1 != sign) x = P - x;
        return (true, Point(x, y, 1, mulmod(x, y, P)));
    }

    /// The RFC 8032 encoding of `q`, as a little-endian integer.
    function encode(Point memory q) private view returns (uint256) {
        uint256 zInv = power(q.z, P - 2);
        uint256 x = mulmod(q.x, zInv, P);
        uint256 y = mulmod(q.y, zInv, P);
        return y | ((x & 1) << 255);
    }

    /// `p1 + p2` (add-2008-hwcd-3 with a = -1).
    function add(Point memory p1, Point memory p2) private pure returns (Point memory) {
        uint256 a = mulmod(addmod(p1.y, P - p1.x, P), addmod(p2.y, P - p2.x, P), P);
        uint256 b = mulmod(addmod(p1.y, p1.x, P), addmod(p2.y, p2.x, P), P);
        uint256 c = mulmod(mulmod(p1.t, D2, P), p2.t, P);
        uint256 d = mulmod(addmod(p1.z, p1.z, P), p2.z, P);
        uint256 e = addmod(b, P - a, P);
        uint256 f = addmod(d, P - c, P);
        uint256 g = addmod(d, c, P);
        uint256 h = addmod(b, a, P);
        return Point(mulmod(e, f, P), mulmod(g, h, P), mulmod(f, g, P), mulmod(e, h, P));
    }

    /// `p1 + p1` (dbl-2008-hwcd with a = -1).
    function double(Point memory p1) private pure returns (Point memory) {
        uint256 a = mulmod(p1.x, p1.x, P);
        uint256 b = mulmod(p1.y, p1.y, P);
        uint256 c = mulmod(2, mulmod(p1.z, p1.z, P), P);
        uint256 sum = addmod(p1.x, p1.y, P);
        uint256 e = addmod(mulmod(sum, sum, P), P - addmod(a, b, P), P);
        uint256 g = addmod(b, P - a, P);
        uint256 f = addmod(g, P - c, P);
        uint256 h = addmod(P - a, P - b, P);
        return Point(mulmod(e, f, P), mulmod(g, h, P), mulmod(f, g, P), mulmod(e, h, P));
    }

    /// `base^exponent mod p`, through the modexp precompile.
    function power(uint256 base, uint256 exponent) private view returns (uint256 result) {
        bool ok;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, 32)
            mstore(add(ptr, 32), 32)
            mstore(add(ptr, 64), 32)
            mstore(add(ptr, 96), base)
            mstore(add(ptr, 128), exponent)
            mstore(add(ptr, 160), P)
            ok := staticcall(gas(), 0x05, ptr, 192, ptr, 32)
            result := mload(ptr)
        }
        require(ok, "modexp failed");
    }

    /// The 32 bytes of `v` in the opposite order: RFC 8032 integers are little-endian.
    function reverse(uint256 v) private pure returns (uint256) {
        v = ((v & 0xff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00) >> 8)
            | ((v & 0x00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff) << 8);
        v = ((v & 0xffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000) >> 16)
            | ((v & 0x0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff) << 16);
        v = ((v & 0xffffffff00000000ffffffff00000000ffffffff00000000ffffffff00000000) >> 32)
            | ((v & 0x00000000ffffffff00000000ffffffff00000000ffffffff00000000ffffffff) << 32);
        v = ((v & 0xffffffffffffffff0000000000000000ffffffffffffffff0000000000000000) >> 64)
            | ((v & 0x0000000000000000ffffffffffffffff0000000000000000ffffffffffffffff) << 64);
        return (v >> 128) | (v << 128);
    }
}
