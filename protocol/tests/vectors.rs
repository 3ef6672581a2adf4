//! The vectors of docs/protocol.md 13.1 to 13.3 and 13.6 to 13.10, computed by the crate and
//! compared with the document's bytes: hashes and the domain keys of 2.1, the `k = 1` and
//! 5 000-byte squares, signed manifests, attestations and certificates, extended squares at
//! `k = 2` and `k = 4`, Merkle trees of any size, share proofs through rows and columns, whole
//! objects, encodings every decoder must refuse, and epoch batches: leaves, roots, the leader
//! draw, proposals, votes, final batches and quorum messages.

#![allow(clippy::unwrap_used)]

mod doc;

use datanet_protocol::encoding::{Decode, DecodeError, Encode};
use datanet_protocol::hash::{hash, Domain};
use datanet_protocol::merkle;
use datanet_protocol::quorum_message::{AnchorSignature, QuorumMessage};
use datanet_protocol::signed::{
    batch_root, leader, output_hash, AttributionBody, AttributionRecord, BatchVoteBody, ChunkEntry,
    ProposalBody, ReasonCode, Threshold, Validator,
};
use datanet_protocol::test_utils::{mis_encoded_square, Fault};
use datanet_protocol::wire::{Request, Response};
use datanet_protocol::{
    Attestation, AttestationBody, Axis, BadEncodingProof, BatchLeaf, BatchProposal, BatchVote,
    CodecId, ContributionId, DatanetId, ExtendedSquare, FinalBatch, Hash, Line, Manifest,
    ManifestBody, ModelId, QuorumCertificate, SecretKey, ShareProof, SquareHeader, SquareParams,
    ValidatorSet,
};

/// A chunk of `len` bytes whose byte `i` is `i mod 251`.
fn counting_chunk(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// The `rs-leopard` square of [`counting_chunk`]`(len)`.
fn counting_square(len: usize) -> ExtendedSquare {
    ExtendedSquare::encode(&counting_chunk(len), CodecId::RsLeopard).unwrap()
}

/// The `k = 1` square of 13.2.
fn hello_square() -> ExtendedSquare {
    ExtendedSquare::encode(b"hello datanet", CodecId::RsLeopard).unwrap()
}

/// A share of the `k = 1` square of 13.2: the chunk's 13 bytes and 499 zero bytes.
fn hello_share() -> Vec<u8> {
    let mut share = b"hello datanet".to_vec();
    share.resize(512, 0);
    share
}

/// Checks that `text` is in the document and gives its bytes.
fn documented_hex(text: &str) -> Vec<u8> {
    doc::assert_documented(text);
    doc::hex(text)
}

/// The documented hash `text` as a [`Hash`].
fn documented_hash(text: &str) -> Hash {
    Hash(documented_hex(text).try_into().unwrap())
}

/// One square of 13.6.
struct SquareVector {
    /// Length of the counting chunk.
    chunk_len: usize,
    /// The DA root.
    da_root: &'static str,
    /// Plain BLAKE3 of the whole square, row-major.
    square_blake3: &'static str,
    /// Shares `(0, k..2k)`.
    row_recovery: &'static str,
    /// Shares `(k..2k, 0)`.
    column_recovery: &'static str,
}

/// 13.6.
const SQUARES: [SquareVector; 2] = [
    SquareVector {
        chunk_len: 1500,
        da_root: "4e6994a404a9aa5f0948d80cf783e4c8c96703d71c2409b0e11247314d4dd7bb",
        square_blake3: "34818fdba6e9715001ef3fc6faadfef2e2c5123e0e7457b4fa764093c4b16ca9",
        row_recovery: "\
        eceddadbe8e97f7e3534030231307776fcfdcacbf8f9585912132425161750512d2c242529280203090800010d0c0a0b3d3c34353938989993929a9b97969091
        acad9a9ba8a93f3e7574434271703736bcbd8a8bb8b9f1f0bbba8d8cbfbef9f86d6c646569684243494840414d4c4a4b7d7c747579783f3e34353d3c30313736
        6c6d5a5b6869fffeb5b48382b1b0f7f67c7d4a4b7879d8d99293a4a59697d0d1adaca4a5a9a88283898880818d8c8a8bbdbcb4b5b9b8181913121a1b17161011
        2c2d1a1b2829bfbef5f4c3c2f1f0b7b63c099e00ac0d811fcb148329251b1d23edece4e5e9e8c2c3c9c8c0c1cdcccacbfdb2b2b0bfb6b6b4bdbaba0d0c040509
        e97f7e3534030231307776fcfdcacbf8f958591213242516175051cccdfafbc8280203090800010d0c0a0b3d3c34353938989993929a9b979690914d4c444549
        a93f3e7574434271703736bcbd8a8bb8b9f1f0bbba8d8cbfbef9f88c8dbabb88684243494840414d4c4a4b7d7c747579783f3e34353d3c303137368d8c848589
        69fffeb5b48382b1b0f7f67c7d4a4b7879d8d99293a4a59697d0d14c4d7a7b48a88283898880818d8c8a8bbdbcb4b5b9b8181913121a1b17161011cdccc4c5c9
        29bfbef5f4c3c2f1f0b7b63c099e00ac0d811fcb148329251b1d230cb1b9f9f5e8c2c3c9c8c0c1cdcccacbfdb2b2b0bfb6b6b4bdbaba0d0c0405090822232928

        e6e7d4d5e2e369682f2e1d1c2b2a6160f6f7c4c5f2f36e6f28291a1b2c2d666727262a2b2322141513121e1f17161c1d37363a3b3332eeefe9e8e4e5edece6e7
        a6a79495a2a329286f6e5d5c6b6a2120b6b78485b2b3c7c68180b3b28584cfce67666a6b6362545553525e5f57565c5d77767a7b7372c9c8cecfc3c2cacbc1c0
        666754556263e9e8afae9d9cabaae1e0767744457273eeefa8a99a9bacade6e7a7a6aaaba3a2949593929e9f97969c9db7b6babbb3b26e6f696864656d6c6667
        262714152223a9a8efeedddcebeaa1a03603900ea607b729f12ebd171f212b15e7e6eaebe3e2d4d5d3d2dedfd7d6dcddf743414148474545424b4907060a0b03
        e369682f2e1d1c2b2a6160f6f7c4c5f2f36e6f28291a1b2c2d6667c6c7f4f5c222141513121e1f17161c1d37363a3b3332eeefe9e8e4e5edece6e747464a4b43
        a329286f6e5d5c6b6a2120b6b78485b2b3c7c68180b3b28584cfce8687b4b58262545553525e5f57565c5d77767a7b7372c9c8cecfc3c2cacbc1c087868a8b83
        63e9e8afae9d9cabaae1e0767744457273eeefa8a99a9bacade6e74647747542a2949593929e9f97969c9db7b6babbb3b26e6f696864656d6c6667c7c6cacbc3
        23a9a8efeedddcebeaa1a03603900ea607b729f12ebd171f212b1506bbb7f7ffe2d4d5d3d2dedfd7d6dcddf743414148474545424b4907060a0b030234353332
    ",
        column_recovery: "\
        e5e4e7e691909392edecefee7f7e7d7cc2c3c0c1b6b7b4b5cacbc8c96f6e6d6c070605040d0c0f0e0f0e0d0ca3a2a1a09d9c9f9e9796959495949796b3b2b1b0
        a5a4a7a6d1d0d3d2adacafaed6d7d4d56b6a69681f1e1d1c63626160c6c7c4c5474645444d4c4f4e4f4e4d4c040506073a3b3839303132333233303114151617
        65646766111013126d6c6f6efffefdfc42434041363734354a4b4849efeeedec878685848d8c8f8e8f8e8d8c232221201d1c1f1e171615141514171633323130
        2524272651505366b927bb1aa638a47b65fb67c66ff16d4f900e92072223205fc7c6c5c4cdcccf80898b8b828d8f8f88bdbfbfb6b9bbbb90999b9b272625242d
        909392edecefee7f7e7d7cc2c3c0c1b6b7b4b5cacbc8c96f6e6d6cc5c4c7c6b10c0f0e0f0e0d0ca3a2a1a09d9c9f9e9796959495949796b3b2b1b0676665646d
        d0d3d2adacafaed6d7d4d56b6a69681f1e1d1c63626160c6c7c4c585848786f14c4f4e4f4e4d4c040506073a3b3839303132333233303114151617a7a6a5a4ad
        1013126d6c6f6efffefdfc42434041363734354a4b4849efeeedec45444746318c8f8e8f8e8d8c232221201d1c1f1e171615141514171633323130e7e6e5e4ed
        fba86676b8eb255698cb05d41a4987e12f7cb2a26c3fc52f7eb2dc372ee3f1338183808b888a8984878586b1b2b0b3bebdbfbcb7b4b6000301020f0c0e0d0605

        f1f0f3f28d8c8f8ef9f8fbfa53525150f6f7f4f58a8b8889fefffcfd4342414013121110111013121b1a1918cfcecdcce9e8ebeaebeae9e8e1e0e3e2dfdedddc
        b1b0b3b2cdcccfceb9b8bbbafafbf8f95f5e5d5c2322212057565554eaebe8e953525150515053525b5a5958e8e9eaebcecfcccdcccdcecfc6c7c4c5f8f9fafb
        717073720d0c0f0e79787b7ad3d2d1d0767774750a0b08097e7f7c7dc3c2c1c093929190919093929b9a99984f4e4d4c69686b6a6b6a6968616063625f5e5d5c
        313033324d4c4f7aad33af0e8a14885751cf53f253cd5173a43aa6330e0f0c73d3d2d1d0d1d0d3676060626d6464666f44444649404042777070723332313031
        8c8f8ef9f8fbfa53525150f6f7f4f58a8b8889fefffcfd43424140d1d0d3d2ad1013121b1a1918cfcecdcce9e8ebeaebeae9e8e1e0e3e2dfdedddc7372717071
        cccfceb9b8bbbafafbf8f95f5e5d5c2322212057565554eaebe8e991909392ed5053525b5a5958e8e9eaebcecfcccdcccdcecfc6c7c4c5f8f9fafbb3b2b1b0b1
        0c0f0e79787b7ad3d2d1d0767774750a0b08097e7f7c7dc3c2c1c0515053522d9093929b9a99984f4e4d4c69686b6a6b6a6968616063625f5e5d5cf3f2f1f0f1
        e7b47a62acff317ab4e729e02e7db3dd13408e96580bf103529ef023cf0112d764656763616062686a6b69414342404a48494b4f4d4c000203010b09080a0e0c
    ",
    },
    SquareVector {
        chunk_len: 5000,
        da_root: "9ee7c103040599d8b9c15d05c39d761bb30c5de4d3cf3ba7955608b56e6e0e08",
        square_blake3: "c401836d49c3e1ab6ad7dc05ddaa9837d7201ea3a3fa5d3aed448a873930bd40",
        row_recovery: "\
        27267776f8f906072120dadb1819434200016d6ce2e314153332c8c900015b5a0c0d12131f1eedece9e8eeef5c5d5a5b969713121e1f48494c4d4b4ae8e9eeef
        6766e4e56b6a9594b2b34948b1b0eaeba9a8c4c54b4a79785e5fa5a46d6c36374c4d949599986b6a6f6e6869fbfafdfc3130b4b5b9b833323736303193929594
        a7a6f7f678798687a1a05a5b9899c3c28081edec62639495b3b248498081dbda8c8d92939f9e6d6c69686e6fdcdddadb161793929e9fc8c9cccdcbca68696e6f
        f94502f98d5c1e72b36a25c3c161e316b3a52c58b040f7792a7b70ff5dc6c84510181b141612e87c76737d7372f9faf634bbbfb5b0b3b7111f1d192c2d46474b
        f906072120dadb1819434200016d6ce2e314153332c8c900015b5a07065657d91eedece9e8eeef5c5d5a5b969713121e1f48494c4d4b4ae8e9eeef6c6d06070b
        6a9594b2b34948b1b0eaeba9a8c4c54b4a79785e5fa5a46d6c36374746d0d15f986b6a6f6e6869fbfafdfc3130b4b5b9b833323736303193929594acadc6c7cb
        798687a1a05a5b9899c3c28081edec62639495b3b248498081dbda8786d6d7599e6d6c69686e6fdcdddadb161793929e9fc8c9cccdcbca68696e6feced86878b
        5c1e72b36a25c3c161e316b3a52c58b040f7792a7b70ff5dc6c845d6d2d1fdff12e87c76737d7372f9faf634bbbfb5b0b3b7111f1d192c2d46474b4ab9b8bdbc

        2d2cefee141557560c0d8382d3d2f4f50a0bc2c3393865643e3fb1b0dcddfbfa0607b4b5b3b27f7e797874756a6b6e6f9c9d3f3e3839babbbcbdb1b034353031
        6d6c95946e6f2d2c7677f9f87a7b5d5ca3a26b6a9091e1e0babb353458597f7e4647d5d4d2d31e1f18191514cdccc9c83b3a98999f9ea6a7a0a1adac28292c2d
        adac6f6e9495d7d68c8d0302535274758a8b4243b9b8e5e4bebf31305c5d7b7a868734353332fffef9f8f4f5eaebeeef1c1dbfbeb8b93a3b3c3d3130b4b5b0b1
        677b83e7787728ef6d8bf1280a16d763445969bdffeee14cc373edf672deda2a5c5c535f54569a43404e4f4a44e6ece5122326262d2520aea8a9ac2627535254
        1557560c0d8382d3d2f4f50a0bc2c3393865643e3fb1b0dcddfbfa0d0c898872b27f7e797874756a6b6e6f9c9d3f3e3839babbbcbdb1b0343530316667131214
        6f2d2c7677f9f87a7b5d5ca3a26b6a9091e1e0babb353458597f7e4d4ce8e913d31e1f18191514cdccc9c83b3a98999f9ea6a7a0a1adac28292c2da6a7d3d2d4
        95d7d68c8d0302535274758a8b4243b9b8e5e4bebf31305c5d7b7a8d8c0908f232fffef9f8f4f5eaebeeef1c1dbfbeb8b93a3b3c3d3130b4b5b0b1e6e7939294
        7728ef6d8bf1280a16d763445969bdffeee14cc373edf672deda2a9d121d4c47569a43404e4f4a44e6ece5122326262d2520aea8a9ac26275352545598999e9f

        3332c5c4e2e38f8e00015b5a0706fcfd3435cacbedecbdbc323369682a2bd1d018194e4f4a4bcfcec2c3c4c546474140e2e3101114150a0b07060100cdcccacb
        7372414066670b0a8485dfdeaeaf55549d9c63624445c7c6484913125051abaa5859d2d3d6d753525e5f585961606667c5c437363332ebeae6e7e0e12c2d2b2a
        b3b2454462630f0e8081dbda87867c7db4b54a4b6d6c3d3cb2b3e9e8aaab51509899cecfcacb4f4e42434445c6c7c1c06263909194958a8b878681804d4c4a4b
        783d52c175fcd4bc440cd3a4de0bb87dc229bf322a131d8e8c14766ca104082e585353565751dfe5e9e7e2e3ed1a1319bb606c63636965a9aba0ac3839838287
        e38f8e00015b5a0706fcfd3435cacbedecbdbc323369682a2bd1d013126b6a4c4bcfcec2c3c4c546474140e2e3101114150a0b07060100cdcccacb7879c3c2c7
        670b0a8485dfdeaeaf55549d9c63624445c7c6484913125051abaa5352f7f6d0d753525e5f585961606667c5c437363332ebeae6e7e0e12c2d2b2ab8b9030207
        630f0e8081dbda87867c7db4b54a4b6d6c3d3cb2b3e9e8aaab51509392ebeacccb4f4e42434445c6c7c1c06263909194958a8b878681804d4c4a4bf8f9434247
        fcd4bc440cd3a4de0bb87dc229bf322a131d8e8c14766ca104082e5ebdbd3a3b51dfe5e9e7e2e3ed1a1319bb606c63636965a9aba0ac38398382878602030f0e

        393865643e3ff6f70d0c2a2bdcdd53523e3f7d7c2627e4e51f1e3839c6c7494812139091969735343233363760616d6ce8e92425222390919796939261606c6d
        7978080953529b9a606147467574fafb9796d4d58f8e77768c8dabaa5554dadb52536b6a6d6ccecfc9c8cdcc47464a4bcfce0302050496979190959467666a6b
        b9b8e5e4bebf76778d8caaab5c5dd3d2bebffdfca6a764659f9eb8b94647c9c8929310111617b5b4b2b3b6b7e0e1edec6869a4a5a2a3101117161312e1e0eced
        e603ebe7b0e7ca09bacd2f67056c941035d5e2cf75ad2393453cc34dbed7df86e9ece6e2e0ee48c6cfcec0cecb0905068d17181b131817ede9ebe43233aeafa8
        3ff6f70d0c2a2bdcdd53523e3f7d7c2627e4e51f1e3839c6c749481918cccd979735343233363760616d6ce8e92425222390919796939261606c6d7273eeefe8
        529b9a606147467574fafb9796d4d58f8e77768c8dabaa5554dadb595837366c6ccecfc9c8cdcc47464a4bcfce0302050496979190959467666a6bb2b32e2f28
        bf76778d8caaab5c5dd3d2bebffdfca6a764659f9eb8b94647c9c899984c4d1717b5b4b2b3b6b7e0e1edec6869a4a5a2a3101117161312e1e0ecedf2f36e6f68
        e7ca09bacd2f67056c941035d5e2cf75ad2393453cc34dbed7df86e8868c7476ee48c6cfcec0cecb0905068d17181b131817ede9ebe43233aeafa8a90b0a0c0d
    ",
        column_recovery: "\
        6f4799b12b03ddf5a38b557de7cf1139d9f12f079db56b4393bb654dd7ff21090f06030a0c050009fff6f3fafcf5f0f9ada4a1a8aea7a2ab141d1811171e1b12
        f1d9072fb59d436b3d15cbe379518fa77d558ba33911cfe7ebc31d35af875971c6cfcac3c5ccc9c0363f3a33353c3930454c4940464f4a43fcf5f0f9fff6f3fa
        fad20c24be964860361ec07ff8b50e3bda972c0a8dc07b4e90dd66a92e63d8ed4940454c4a43464fb9b0b52720242c24ede9e1ebece8e0e8545058fcfbfff7ff
        67b5916daf7d5929ab795dbd7fad89f9eb391d498157770d7caa8a9cb06b46d887878b727f7f737177777bc9c4c4c8ca040408b8b5b5b9bbbdbdb12d2421282e
        03ddf5a38b557de7cf1139d9f12f079db56b4393bb654dd7ff2109c6ee301882050009fff6f3fafcf5f0f9ada4a1a8aea7a2ab141d1811171e1b123831343d3b
        9d436b3d15cbe379518fa77d558ba33911cfe7ebc31d35af87597193bb654dd7ccc9c0363f3a33353c3930454c4940464f4a43fcf5f0f9fff6f3fa6b62676e68
        964860361ec07ff8b50e3bda972c0a8dc07b4e90dd66a92e63d8edc58833159243464fb9b0b52720242c24ede9e1ebece8e0e8545058fcfbfff7ff787c747e79
        7d5929ab795dbd7fad89f9eb391d498157770d7caa8a9cb06b46d867bc91c8e47f737177777bc9c4c4c8ca040408b8b5b5b9bbbdbdb12d2421282e27222bddd4

        6c8906e31cf9769311f47b9e61840beed530bf5aa540cf2a3edb54b14eab24c1454e4a414d464249878c88838f84808ba6ada9a2aea5a1aa343f3b303c373338
        52b738dd22c748ad2fca45a05fba35d038dd52b748ad22c7688d02e718fd7297bfb4b0bbb7bcb8b37d767279757e7a719a91959e92999d960803070c000b0f04
        f7129d788762ed088a6fe0a6e4fb8ed628374277352a5f07c3dca988cad5a0f8e4efebe0ece7e3e8262d29f7f2f7fdff080d07090c0903019a9f95191c191311
        c3dfa963ccd0a613bea2d419b6aadc69a9b5c3ee455c2f9ef4ed9eae41ca2bde1c1c13dadbdbd4d2deded1c9c8c8c7c1393936afaeaea1a7ababa4ada6a2a9a5
        f9769311f47b9e61840beed530bf5aa540cf2a3edb54b14eab24c11cf976936c464249878c88838f84808ba6ada9a2aea5a1aa343f3b303c373338ece7e3e8e4
        c748ad2fca45a05fba35d038dd52b748ad22c7688d02e718fd72978e6be401febcb8b37d767279757e7a719a91959e92999d960803070c000b0f040c07030804
        62ed088a6fe0a6e4fb8ed628374277352a5f07c3dca988cad5a0f8e1fe8bbefce7e3e8262d29f7f2f7fdff080d07090c0903019a9f95191c19131142474d4346
        d0a613bea2d419b6aadc69a9b5c3ee455c2f9ef4ed9eae41ca2bde810aeb6e81dbd4d2deded1c9c8c8c7c1393936afaeaea1a7ababa4ada6a2a9a5aeaaa16f64

        93d8074c4f04db90cc875813105b84cf145f80cbc8835c17773ce3a8abe03f7428262e20222c242aafa1a9a7a5aba3ad39373f31333d353b515f57595b555d53
        18538cc7c48f501b470cd3989bd00f44b2f9266d6e25fab1175c83c8cb805f14f8f6fef0f2fcf4fa7f717977757b737d525c545a58565e503a343c32303e3638
        0b409fd4d79c4308541fc07097d103acefa97b6681c715ba8cca18a94e08da75747a727c7e707876f3fdf5c4c2c9c4ce68636e6f69626f65000b06cfc9c2cfc5
        88311cca942d0016d76e43faa41d3026229bb61245f2d1ce883f1c2862b0f6f4a6a3a026292c2f2c212427a5aaafacaf0c090a636c696a69646162353b333d3f
        04db90cc875813105b84cf145f80cbc8835c17773ce3a8abe03f7497dc03484b2c242aafa1a9a7a5aba3ad39373f31333d353b515f57595b555d53232d252b29
        8f501b470cd3989bd00f44b2f9266d6e25fab1175c83c8cb805f14cd86591211fcf4fa7f717977757b737d525c545a58565e503a343c32303e363869676f6163
        9c4308541fc07097d103acefa97b6681c715ba8cca18a94e08da756c2af8e502707876f3fdf5c4c2c9c4ce68636e6f69626f65000b06cfc9c2cfc57279747573
        2d0016d76e43faa41d3026229bb61245f2d1ce883f1c2862b0f6f4c416500f452c2f2c212427a5aaafacaf0c090a636c696a69646162353b333d3f313937b2bc

        e86fe26504830e891e991493f275f87f50d75addbc3bb631ea6de06706810c8b7a777d707f727875d7dad0ddd2dfd5d8dad7ddd0dfd2d8d5a1aca6aba4a9a3ae
        0384098eef68e562f572ff78199e13947ff875f29314991ee463ee69088f0285d9d4ded3dcd1dbd67479737e717c767ba5a8a2afa0ada7aaded3d9d4dbd6dcd1
        fe79f4731295189f088f024a6f7a65a6d5c0dfd0f5e0ff3c6f7a653b1e0b14d7414c464b4449434eece1eb6c69606e69e0e9e7ede8e1efe89b929c62676e6067
        11651bf4c6b2cc18e793ed4674007eaa6d19674e7d0477a2f089faf977f47d15e5e1e24541454640484c4f1612161513999d9eefebefeceae2e6e5cdc0cac7c8
        830e891e991493f275f87f50d75addbc3bb631ea6de06706810c8b55d25fd8b9727875d7dad0ddd2dfd5d8dad7ddd0dfd2d8d5a1aca6aba4a9a3ae4f4248454a
        68e562f572ff78199e13947ff875f29314991ee463ee69088f0285880f820564d1dbd67479737e717c767ba5a8a2afa0ada7aaded3d9d4dbd6dcd1f6fbf1fcf3
        95189f088f024a6f7a65a6d5c0dfd0f5e0ff3c6f7a653b1e0b14d7d0c5dad5f049434eece1eb6c69606e69e0e9e7ede8e1efe89b929c62676e6067757c72787d
        b2cc18e793ed4674007eaa6d19674e7d0477a2f089faf977f47d15fa79f062ec454640484c4f1612161513999d9eefebefeceae2e6e5cdc0cac7c8c5cfc2606d
    ",
    },
];

#[test]
fn squares_at_k_2_and_4_have_the_documented_recovery_shares_and_roots() {
    for v in &SQUARES {
        let square = counting_square(v.chunk_len);
        let k = square.params().k();
        assert_eq!(square.da_root().0, documented_hash(v.da_root));
        let whole: Vec<u8> = (0..2 * k)
            .flat_map(|r| square.row(r).unwrap().shares)
            .collect();
        assert_eq!(
            blake3::hash(&whole).as_bytes(),
            &documented_hex(v.square_blake3)[..]
        );
        let row: Vec<u8> = (k..2 * k)
            .flat_map(|c| square.share(0, c).unwrap().to_vec())
            .collect();
        let column: Vec<u8> = (k..2 * k)
            .flat_map(|r| square.share(r, 0).unwrap().to_vec())
            .collect();
        assert_eq!(row, documented_hex(v.row_recovery), "k = {k}");
        assert_eq!(column, documented_hex(v.column_recovery), "k = {k}");
    }
}

/// The leaves of 13.7: `L_i = H(HashLeaf, [i; 32])`.
fn merkle_leaves(n: u8) -> Vec<Hash> {
    (0..n).map(|i| hash(Domain::HashLeaf, &[i; 32])).collect()
}

/// 13.7: roots of trees of 3 and 5 leaves.
const MERKLE_ROOTS: [(u8, &str); 2] = [
    (
        3,
        "b43ca68cc61dc41bf6179b2df8e0152753a31682b9e0eb5f113a43fea6d69927",
    ),
    (
        5,
        "82f46394d893c229d15cc25045ae5165ca764f4e2093c083621271178878cbda",
    ),
];

/// 13.7: leaf count, leaf index, siblings bottom first.
const MERKLE_PROOFS: [(u8, usize, &[&str]); 4] = [
    (
        3,
        2,
        &["8a23aacf2b93da62c3fb0e303fc77c669c727b96877843542801bcaba9544079"],
    ),
    (
        3,
        0,
        &[
            "fdd73c4dc8dc51344c784a1530a1f2ceddfd97e3f038df77ff0f0caa739a0530",
            "90024f6168b0a0ad25474930cf125b5198b2ba524464754bcf60c251a0b4beff",
        ],
    ),
    (
        5,
        1,
        &[
            "73f7cd17db77b6345837a99d119d6dce4e4c8f95b9883d9fcda5e94f3f666a08",
            "418dd05dea228251c3d88d048aef4aa4ad90c1d5e84a1727c7d6f5cae81dadc3",
            "06178cf39b07db989da25bb2d6380217bfea8a78c7b23092e3b7423697475237",
        ],
    ),
    (
        5,
        4,
        &["9b0991a0c11feb09eba09ee284b35e218e5ca6c61b043116c8f65fff9594c396"],
    ),
];

#[test]
fn trees_of_three_and_five_leaves_have_the_documented_roots_and_proofs() {
    for (n, root) in MERKLE_ROOTS {
        assert_eq!(
            merkle::root(&merkle_leaves(n)),
            documented_hash(root),
            "{n} leaves"
        );
    }
    for (n, index, siblings) in MERKLE_PROOFS {
        let leaves = merkle_leaves(n);
        let documented: Vec<Hash> = siblings.iter().map(|s| documented_hash(s)).collect();
        assert_eq!(merkle::proof(&leaves, index).unwrap(), documented);
        merkle::verify(
            &merkle::root(&leaves),
            leaves[index],
            index as u64,
            n.into(),
            &documented,
        )
        .unwrap();
    }
}

/// 13.7: share proofs in the squares of 13.6 (chunk length, axis, row, column, encoding).
const SHARE_PROOFS: [(usize, Axis, usize, usize, &str); 3] = [
    (
        1500,
        Axis::Row,
        1,
        2,
        "\
        010002000005dc 00
        00000002 d493307d4a899b447c2869ad5eff63ab24b66564ec775f28aded90da1e986c51
                 276503b75dddb7852456c1c1937b50f2f67c5a0371e89c02971dc72b44e14244
        00000003 4c61b62c0e9f922ca1687a7ffcf588b0ff06c165f715526ef244573b700631ec
                 a02580deb20f8e1e7b2ec12e3e3782d57b74860b682867a3b8836b7dd5a81f1d
                 a525e22c44b437fd75d91ebe6c149a0059f85195819e0282f2f0db26d53ce2c9
    ",
    ),
    (
        1500,
        Axis::Col,
        1,
        2,
        "\
        010002000005dc 01
        00000002 115516a4b2033aa678b92a3897e0e0c92853bae3b1ff358684a08e11e743a07d
                 c63e52c15e24c6b1b8950c1cffcd1521ddf65f8785e4081d691961b9c5dd3b64
        00000003 17bc1508d73cb95e3852a6de4b96d3bc0122e6c888d9d38f68b16d71790d92e2
                 4e180416ea9bdc1a6ea638909d3c78943daf938074bc884d6cb17644713c121b
                 da68976b4ed782bebc898346b834c04da614ab524b1f5c0beb78e851e67a0f90
    ",
    ),
    (
        5000,
        Axis::Col,
        5,
        3,
        "\
        01000400001388 01
        00000003 027e10a1f64438ff9b396e7a064e1d95b3d2cbcb4ad70eca6fe45acf94179f97
                 07a02a1bab7d226b5794a4047d36263d52a365d1be48a88628124e66cce68a12
                 2a3e2c121aae652093096529b99a471137e7089e065ed188133f1af53bab87ef
        00000004 60478e9e1417942e6cb5ba2507091ac36d2eceb66c23eed964c2114b9deaa4c7
                 945c1a9b7877c981e49fe2bfcfd9d11e938e618fbf8cb5668cf2a5b0922e6573
                 c329eed7685efab1089f9a6b9f334c427ab4a115f439591caa034e2936ed8fba
                 0ba971bca89fee4347dfa8b47b33f3b32f50e81cb04009960797c45b14470754
    ",
    ),
];

#[test]
fn share_proofs_through_rows_and_columns_have_the_documented_bytes() {
    for (chunk_len, axis, row, col, bytes) in SHARE_PROOFS {
        let square = counting_square(chunk_len);
        let proof = square.share_proof_via(axis, row, col).unwrap();
        assert_eq!(proof.to_bytes(), documented_hex(bytes));
        let decoded = ShareProof::from_bytes(&doc::hex(bytes)).unwrap();
        let share = square.share(row, col).unwrap();
        decoded.verify(&square.da_root(), row, col, share).unwrap();
    }
}

/// 13.8: the header of the `k = 1` square of 13.2.
const HEADER_K1: &str = "\
    01 0100010000000d
    00000002
    91e0ea63c60bd3fff9ed22e1703dc1085e902c21fee6aa8adf4fc8f9298aaab2
    91e0ea63c60bd3fff9ed22e1703dc1085e902c21fee6aa8adf4fc8f9298aaab2
    00000002
    91e0ea63c60bd3fff9ed22e1703dc1085e902c21fee6aa8adf4fc8f9298aaab2
    91e0ea63c60bd3fff9ed22e1703dc1085e902c21fee6aa8adf4fc8f9298aaab2
";

/// 13.8: the header of the `k = 2` square of 13.6.
const HEADER_K2: &str = "\
    01 010002000005dc
    00000004
    84bb809cd94bb633116aa3af51ed2d84a7652c2fc4732f5bc7d9785b27de4a29
    041882a92bc23d1dc30328a7f785cfc592a58dbfa100052a8b5e55b77bdca298
    2e331475aef07da72862ae461558dfbfa46101241ad6f3c89b699fd2435b23cd
    dfcdcd3252def34e403ba35a7b33ebe0dae0b52a6aa2fbfab4cd46be69dd54ee
    00000004
    ff711369de475f7ce51c8a452c20102a9a8aa85e10aec5e16be92b2dda081886
    4f46df3b8063c24f8ad209b2e2b3bcb5425322913dc88a61ec82b628cd52b3fe
    b278207d4ebb464e91f7d37e29e10d7e0d6a82b360bea4a49db35c677084b806
    cbb83606ee4ddf8789f53d73925c6354c8bafedf2ef7edbb706df2d6952f6389
";

/// 13.8: row 0 of the `k = 1` square, before its shares.
const LINE_BEFORE_SHARES: &str = "01 0100010000000d 00 0000 00000400";

/// 13.8: row 0 of the `k = 1` square, after its shares.
const LINE_AFTER_SHARES: &str = "\
    00000002 d0ddb0ffb72e6932e06df873a0fa03025e94eb1832ea7c8c441ddad788cc3b72
             ec538d2d81e2429e8c54dd125a3f977fa0315f0f83544ec162275547315fc284
";

/// 13.8: BLAKE3 of the whole row.
const LINE_BLAKE3: &str = "4113ee2bc2b2b845891141150cedbf3667640a39e8842b04ebfffb3fed800768";

/// 13.8: the DA root of the mis-encoded `k = 1` square.
const FRAUD_DA_ROOT: &str = "c93a78d405f00855e7742665bd964a37eefdce239ffd2b9531e54e3149ef86a6";

/// 13.8: the fraud proof up to its witness share.
const FRAUD_BEFORE_SHARE: &str = "\
    01 0100010000000d 00 0000
    3b4ef6a0b9c7487b85c88c617e1c6001792675e417cd053123d087be94690ee7
    00000002 d0ddb0ffb72e6932e06df873a0fa03025e94eb1832ea7c8c441ddad788cc3b72
             d7727b50181afcf23e7dfe2dd66a6ded75614431822320f2131b4862fb1c2f8a
    00000001 0000
";

/// 13.8: the fraud proof after its witness share.
const FRAUD_AFTER_SHARE: &str = "\
    0100010000000d 01
    00000001 0568a147dc8fd9af0b769a35d5fa6802de2eb10559816749d330e179e80efb9b
    00000002 81f423434963794d977741d8f8e25b90047841dc89ed28cf0f50a36888d33ee3
             2040fdd21db6090654ff895ad947c8e721c39b59bb09efb91fedb3318fbdc985
";

/// 13.8: BLAKE3 of the whole fraud proof.
const FRAUD_BLAKE3: &str = "01ccefa402ba39e8e892527ea034340eebea3452ff7153ef17cff9dfe7892c05";

#[test]
fn headers_have_the_documented_bytes() {
    for (square, bytes) in [
        (hello_square(), HEADER_K1),
        (counting_square(1500), HEADER_K2),
    ] {
        let header = square.header();
        assert_eq!(header.to_bytes(), documented_hex(bytes));
        assert_eq!(SquareHeader::from_bytes(&doc::hex(bytes)).unwrap(), header);
    }
}

#[test]
fn a_line_has_the_documented_bytes() {
    let line = hello_square().row(0).unwrap();
    let mut expected = documented_hex(LINE_BEFORE_SHARES);
    expected.extend(hello_share().repeat(2));
    expected.extend(documented_hex(LINE_AFTER_SHARES));
    assert_eq!(line.to_bytes(), expected);
    assert_eq!(
        blake3::hash(&expected).as_bytes(),
        &documented_hex(LINE_BLAKE3)[..]
    );
    assert_eq!(Line::from_bytes(&expected).unwrap(), line);
}

#[test]
fn a_fraud_proof_has_the_documented_bytes_and_verifies() {
    let bad = mis_encoded_square(&hello_square(), Fault::Share { row: 0, col: 1 });
    assert_eq!(bad.da_root().0, documented_hash(FRAUD_DA_ROOT));
    let proof = BadEncodingProof::from_rebuilt(&bad.header(), &bad, Axis::Row, 0).unwrap();
    let mut expected = documented_hex(FRAUD_BEFORE_SHARE);
    expected.extend(hello_share());
    expected.extend(documented_hex(FRAUD_AFTER_SHARE));
    assert_eq!(proof.to_bytes(), expected);
    assert_eq!(
        blake3::hash(&expected).as_bytes(),
        &documented_hex(FRAUD_BLAKE3)[..]
    );
    let decoded = BadEncodingProof::from_bytes(&expected).unwrap();
    decoded.verify(&bad.da_root()).unwrap();
}

/// 13.9: object, bytes, the kind of [`DecodeError`] they must give.
const REFUSED: [(&str, &str, &str); 35] = [
    ("CodecId", "00", "InvalidTag"),
    ("CodecId", "01 00", "TrailingBytes"),
    ("Axis", "02", "InvalidTag"),
    ("SquareParams", "03 0001 0000000d", "InvalidTag"),
    ("SquareParams", "01 0002 0000000d", "Invalid"),
    ("SquareParams", "01 0080 00800001", "Invalid"),
    ("SquareParams", "01 0001 0000", "Truncated"),
    ("SquareParams", "01 0001 0000000d 00", "TrailingBytes"),
    ("SquareHeader", "02 0100010000000d", "InvalidTag"),
    ("SquareHeader", "01 0100010000000d 00000101", "TooLong"),
    ("SquareHeader", "01 0100010000000d 00000000 00000000", "Invalid"),
    ("SquareHeader", "01 0100010000000d 00000002 0000000000000000000000000000000000000000000000000000000000000000", "Truncated"),
    ("ShareProof", "0100010000000d 02", "InvalidTag"),
    ("ShareProof", "0100010000000d 00 00000009", "TooLong"),
    ("ShareProof", "0100010000000d 00 00000000 0000000a", "TooLong"),
    ("Line", "01 0100010000000d 00 0000 00020001", "TooLong"),
    ("Line", "01 0100010000000d 00 0000 00000000 00000000", "Invalid"),
    ("BadEncodingProof", "01 0100010000000d 00 0000 0000000000000000000000000000000000000000000000000000000000000000 00000000 00000081", "TooLong"),
    ("BadEncodingProof", "01 0100010000000d 01 0000 0000000000000000000000000000000000000000000000000000000000000000 00000000 00000001 0000", "Truncated"),
    ("Request", "02 03", "InvalidTag"),
    ("Request", "01 00", "InvalidTag"),
    ("Request", "01 03 0000000000000000000000000000000000000000000000000000000000000000 00", "TrailingBytes"),
    ("Request", "01 05 0000000000000000000000000000000000000000000000000000000000000000 00000101", "TooLong"),
    ("Request", "01 05 0000000000000000000000000000000000000000000000000000000000000000 00000000 02", "InvalidTag"),
    ("Attestation", "01 0000000000000000000000000000000000000000000000000000000000000000 8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c 01 0000 00000001 61", "Invalid"),
    ("Attestation", "01 0000000000000000000000000000000000000000000000000000000000000000 8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c 02 0000 00000000", "Invalid"),
    ("Attestation", "01 0000000000000000000000000000000000000000000000000000000000000000 8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c 02 0006 00000201", "TooLong"),
    ("Attestation", "01 0000000000000000000000000000000000000000000000000000000000000000 8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c 03", "InvalidTag"),
    ("ValidatorSet", "01 00000003 00000003 00000001 8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c 0000000000000001", "Invalid"),
    ("BatchProposal", "01 0000000000000000000000000000000000000000000000000000000000000000 0000000000000000 0000000000000000000000000000000000000000000000000000000000000000 8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c 0000000000000000000000000000000000000000000000000000000000000000 00000000 00000000 00000000000000000000000000000000 00000000 0000000000000000000000000000000000000000000000000000000000000000", "Invalid"),
    ("BatchProposal", "01 0000000000000000000000000000000000000000000000000000000000000000 0000000000000000 0000000000000000000000000000000000000000000000000000000000000000 8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c 0000000000000000000000000000000000000000000000000000000000000000 00000101", "TooLong"),
    ("BatchProposal", "01 0000000000000000000000000000000000000000000000000000000000000000 0000000000000000 0000000000000000000000000000000000000000000000000000000000000000 8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c 0000000000000000000000000000000000000000000000000000000000000000 00000002 01 0000000000000000000000000000000000000000000000000000000000000000 0000000000000000000000000000000000000000000000000000000000000000 00000000 01 0000000000000000000000000000000000000000000000000000000000000000 0000000000000000000000000000000000000000000000000000000000000000 00000000", "Invalid"),
    ("QuorumMessage", "07", "InvalidTag"),
    ("Request", "01 0e", "InvalidTag"),
    ("Response", "01 0e 00000801", "TooLong"),
];

/// The name of `e`'s kind, as 4.1 and 13.9 write it.
fn kind(e: &DecodeError) -> &'static str {
    match e {
        DecodeError::Truncated { .. } => "Truncated",
        DecodeError::TrailingBytes(_) => "TrailingBytes",
        DecodeError::TooLong { .. } => "TooLong",
        DecodeError::InvalidTag { .. } => "InvalidTag",
        DecodeError::Invalid { .. } => "Invalid",
    }
}

/// Decodes `bytes` as `T` and gives the error's kind; panics if they decode.
fn refusal<T: Decode + std::fmt::Debug>(bytes: &[u8]) -> &'static str {
    kind(&T::from_bytes(bytes).unwrap_err())
}

#[test]
fn documented_bad_encodings_are_refused_with_the_documented_kind() {
    for (object, bytes, expected) in REFUSED {
        doc::assert_documented(&format!("| `{object}` | `{bytes}` | `{expected}` |"));
        let bytes = doc::hex(bytes);
        let got = match object {
            "CodecId" => refusal::<CodecId>(&bytes),
            "Axis" => refusal::<Axis>(&bytes),
            "SquareParams" => refusal::<SquareParams>(&bytes),
            "SquareHeader" => refusal::<SquareHeader>(&bytes),
            "ShareProof" => refusal::<ShareProof>(&bytes),
            "Line" => refusal::<Line>(&bytes),
            "BadEncodingProof" => refusal::<BadEncodingProof>(&bytes),
            "Request" => refusal::<Request>(&bytes),
            "Attestation" => refusal::<Attestation>(&bytes),
            "ValidatorSet" => refusal::<ValidatorSet>(&bytes),
            "BatchProposal" => refusal::<BatchProposal>(&bytes),
            "QuorumMessage" => refusal::<QuorumMessage>(&bytes),
            "Response" => refusal::<Response>(&bytes),
            other => panic!("no decoder for {other}"),
        };
        assert_eq!(got, expected, "{object} {}", hex::encode(&bytes));
    }
}

/// 13.1: hashes and a node.
const HASHES: [(&str, &str); 3] = [
    (
        "`root([])` = `H(Node, \"\")` | `",
        "913fe2da409b5db8859e88bab1f26d0c55d636ff3f93a4ad961ead5ff7627a61",
    ),
    (
        "`H(Chunk, \"\")` | `",
        "b2d6e83a9e8825fdced8e9ab90609d38c65b205e23ff07ddc305ba2b0e915649",
    ),
    (
        "`ChunkId(\"hello datanet\")` | `",
        "303877f3fab5c0f4b5fa7432095c8c32df8f507e533284b7853d668eaa171dbe",
    ),
];

/// 13.1: `node(H(HashLeaf, "a"), H(HashLeaf, "b"))`.
const NODE_AB: &str = "74026b334472b0ebaacf04f6f55e09e2c7d8eacb29e12560f76bf4eae63c616e";

#[test]
fn the_hashing_vectors_are_the_documented_ones() {
    let computed = [
        merkle::root(&[]),
        hash(Domain::Chunk, b""),
        hash(Domain::Chunk, b"hello datanet"),
    ];
    for ((label, value), hash) in HASHES.iter().zip(computed) {
        doc::assert_documented(&format!("{label}{value}`"));
        assert_eq!(hash, documented_hash(value), "{label}");
    }
    let node =
        datanet_protocol::hash::node(&hash(Domain::HashLeaf, b"a"), &hash(Domain::HashLeaf, b"b"));
    assert_eq!(node, documented_hash(NODE_AB));
}

/// 13.2: codec, first 16 bytes of shares `(0,0)`, `(0,4)`, `(4,0)`, `(7,7)` of the 5 000-byte
/// square, and its DA root, as one row of the document's table.
const FIVE_THOUSAND: [(CodecId, &str); 2] = [
    (
        CodecId::RsLeopard,
        "| `rs-leopard` | `000102030405060708090a0b0c0d0e0f` | `27267776f8f906072120dadb18194342` | \
         `6f4799b12b03ddf5a38b557de7cf1139` | `0c6ec5a73f5d1a784b294a282143bedc` | \
         `9ee7c103040599d8b9c15d05c39d761bb30c5de4d3cf3ba7955608b56e6e0e08` |",
    ),
    (
        CodecId::RsVandermonde,
        "| `rs-vandermonde` | `000102030405060708090a0b0c0d0e0f` | `28294d4cfbfae4e51a1b98996968abaa` | \
         `8e9ba4b1dacff0e5fbeed1c4afba8590` | `baf42e607e30b1ff86c8de90703e3f71` | \
         `b0d08e30ec914cc8a8878fa71d3113df54d520491feb3ea7171eeae82d4f3cd2` |",
    ),
];

#[test]
fn the_five_thousand_byte_squares_are_the_documented_ones() {
    for (codec, documented) in FIVE_THOUSAND {
        doc::assert_documented(documented);
        let square = ExtendedSquare::encode(&counting_chunk(5000), codec).unwrap();
        let mut cells = [(0, 0), (0, 4), (4, 0), (7, 7)]
            .iter()
            .map(|&(r, c)| hex::encode(&square.share(r, c).unwrap()[..16]))
            .collect::<Vec<_>>();
        cells.push(square.da_root().0.to_string());
        let row = format!("| `{codec}` | `{}` |", cells.join("` | `"));
        assert_eq!(
            row.split_whitespace().collect::<String>(),
            documented.split_whitespace().collect::<String>()
        );
    }
}

/// 13.2: every row and column root of the `k = 1` square.
const HELLO_LINE_ROOT: &str = "91e0ea63c60bd3fff9ed22e1703dc1085e902c21fee6aa8adf4fc8f9298aaab2";

/// 13.2: the `k = 1` square's `enc(SquareParams)` and DA root under each codec.
const HELLO_ROOTS: [(CodecId, &str, &str); 2] = [
    (
        CodecId::RsLeopard,
        "0100010000000d",
        "a1d013b480c54d30b42e92f337b0766fe999d5e7d611dfa6a8c7b93f34680792",
    ),
    (
        CodecId::RsVandermonde,
        "0200010000000d",
        "0085395d3d289e0570215da8a3f8893c116cf2197802a40c30dbe028939e3470",
    ),
];

/// 13.2: the proof of share `(1, 1)` of the `k = 1` square through its row.
const HELLO_SHARE_PROOF: &str = "\
    0100010000000d 00
    00000001 0568a147dc8fd9af0b769a35d5fa6802de2eb10559816749d330e179e80efb9b
    00000002 d0ddb0ffb72e6932e06df873a0fa03025e94eb1832ea7c8c441ddad788cc3b72
             ec538d2d81e2429e8c54dd125a3f977fa0315f0f83544ec162275547315fc284
";

#[test]
fn the_k_1_squares_are_the_documented_ones() {
    for (codec, params, da_root) in HELLO_ROOTS {
        doc::assert_documented(&format!("| `{codec}` | `{params}` | `{da_root}` |"));
        let square = ExtendedSquare::encode(b"hello datanet", codec).unwrap();
        assert_eq!(square.params().to_bytes(), doc::hex(params));
        assert_eq!(square.da_root().0, documented_hash(da_root));
        for i in 0..2 {
            for share in [square.share(i, 0), square.share(i, 1)] {
                assert_eq!(share.unwrap(), hello_share());
            }
            assert_eq!(square.row_roots()[i], documented_hash(HELLO_LINE_ROOT));
            assert_eq!(square.col_roots()[i], documented_hash(HELLO_LINE_ROOT));
        }
    }
    let proof = hello_square().share_proof(1, 1).unwrap();
    assert_eq!(proof.to_bytes(), documented_hex(HELLO_SHARE_PROOF));
}

/// The Ed25519 key whose seed is the byte `n` repeated (13.3's `seed(n)`).
fn seed(n: u8) -> SecretKey {
    SecretKey::from_seed([n; 32])
}

/// The datanet of 13.3's manifest and of 13.10's batch, `H(Datanet, "d")`.
fn vector_datanet() -> DatanetId {
    DatanetId(hash(Domain::Datanet, b"d"))
}

/// The manifest of 13.3 with `nonce` (13.3's own has 42), signed by `seed(1)`.
fn hello_manifest(nonce: u64) -> Manifest {
    let body = ManifestBody {
        datanet: vector_datanet(),
        contributor: seed(1).public(),
        payload_len: 13,
        payload_hash: hash(Domain::Payload, b"hello datanet"),
        media_type: "text/plain".into(),
        codec: CodecId::RsLeopard,
        chunks: vec![ChunkEntry::new(b"hello datanet", &hello_square())],
        metadata: vec![("license".into(), "CC-BY-4.0".into())],
        timestamp_ms: 1_700_000_000_000,
        nonce,
    };
    Manifest::sign(body, &seed(1)).unwrap()
}

/// The validator set of 13.3: `seed(1)`, `seed(2)` and `seed(3)` with stakes 10, 20 and 30,
/// threshold 2/3.
fn vector_set() -> ValidatorSet {
    let validators = [(1, 10), (2, 20), (3, 30)]
        .map(|(n, stake)| Validator {
            key: seed(n).public(),
            stake,
        })
        .to_vec();
    ValidatorSet::new(validators, Threshold::TWO_THIRDS).unwrap()
}

/// `seed(n)`'s attestation accepting `contribution`.
fn accepting(n: u8, contribution: ContributionId) -> Attestation {
    Attestation::sign(
        AttestationBody::accept(contribution, seed(n).public()),
        &seed(n),
    )
    .unwrap()
}

/// The certificate of 13.3's kind on `contribution`: the accepting attestations of `seed(2)`
/// and `seed(3)` under [`vector_set`].
fn vector_qc(contribution: ContributionId) -> QuorumCertificate {
    let votes = [accepting(2, contribution), accepting(3, contribution)];
    QuorumCertificate::form(&vector_set(), contribution, &votes).unwrap()
}

/// 13.3: the rows of the manifest's table, each with the value the crate must give.
const MANIFEST_ROWS: [(&str, &str); 3] = [
    (
        "| signing hash `H(Manifest, enc(body))` | `",
        "ae604818e020564065730a051f337d16764705c0c64a5161f15691f6782f55d6",
    ),
    (
        "| signature | `",
        "ad3c3aedac7e6247acee380ad0a0d6bf5f946484d9e0b11bc007d94c6ea8062f\
         028a5c4b22ee1e6fb5ba3e19cc61617f5ba4ed321f709f67a491f551dadfd20e",
    ),
    (
        "| `ContributionId` = `H(Contribution, body ‖ signature)` | `",
        "c9fd636366244aff0e8aba10dad8784143cc356d9c80bce0a8645601dba00e25",
    ),
];

/// 13.3: `seed(1)`'s attestation accepting the contribution.
const ACCEPTING: &str = "\
    01
    c9fd636366244aff0e8aba10dad8784143cc356d9c80bce0a8645601dba00e25
    8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c
    01
    0000
    00000000
    8e54de48c38ea67fc1ba4c44aeada34d0346be11b574039b920ac49ecbe02107
    ab979bbe889c6fc42434b621d3bba5a2a776ccce27b0cd90e7e25acd417aa507
";

/// 13.3: the accepting attestation's signing hash.
const ACCEPTING_SIGNING_HASH: &str =
    "1d0ee73a12c5f2aafff302c5296bd73c6c67ba72a76919570a4c04931cc4e95d";

/// 13.3: the message of `seed(2)`'s rejecting attestation.
const REJECTION_MESSAGE: &str =
    "media type text/plain is not accepted: this datanet accepts application/jsonl";

/// 13.3: `seed(2)`'s attestation rejecting the contribution, reason `Format`.
const REJECTING: &str = "\
    01
    c9fd636366244aff0e8aba10dad8784143cc356d9c80bce0a8645601dba00e25
    8139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394
    02
    0005
    0000004d
    6d65646961207479706520746578742f706c61696e206973206e6f7420616363
    65707465643a207468697320646174616e65742061636365707473206170706c
    69636174696f6e2f6a736f6e6c
    1fc8ed2b19a943318e098c3683e5c12bf1d110a1f7a68c333198ff84cb959ce4
    ba24a5e1ef346613b496b2ece65ae5ef260e168b53dcf3ec8d26341e99da4c08
";

/// 13.3: the validator set.
const VALIDATOR_SET: &str = "\
    01 00000002 00000003 00000003
    8139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394 0000000000000014
    8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c 000000000000000a
    ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d1 000000000000001e
";

/// 13.3: the validator set's id.
const VALIDATOR_SET_ID: &str = "45e13256caff06dcb885f6f4b47eb578b8c8e16441e5dba0e2d9ffc30c78e230";

/// 13.3: the certificate of `seed(2)` and `seed(3)`.
const QC: &str = "\
    01
    c9fd636366244aff0e8aba10dad8784143cc356d9c80bce0a8645601dba00e25
    45e13256caff06dcb885f6f4b47eb578b8c8e16441e5dba0e2d9ffc30c78e230
    00000002
    8139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394
    242f0b5d7640c35884650f279e09f34d052baed3efb73403391665bf47f2396f
    67bcc395e5d2dbfb7073758913eacb4352376088a6361fb68f7a17764b7acf04
    ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d1
    eb1bb62d51e6b08b47703e990cd36c497907dd68eb5df8969b657673263dc447
    8133b2c1fb2d788b1ebecd6e712b5c195fa61012c9046d9aade767f949527d0c
";

/// 13.3: the certificate's hash.
const QC_HASH: &str = "89954cd53e1851fa4f8a44135594968edc76b389fcafdbf72a31b2102cc11cb7";

#[test]
fn the_manifest_of_13_3_has_the_documented_hash_signature_and_id() {
    let manifest = hello_manifest(42);
    let computed = [
        Manifest::signing_hash(manifest.body()).to_hex(),
        hex::encode(manifest.signature().0),
        manifest.id().to_string(),
    ];
    for ((label, value), computed) in MANIFEST_ROWS.iter().zip(computed) {
        doc::assert_documented(&format!("{label}{value}` |"));
        assert_eq!(documented_hex(value), doc::hex(&computed), "{label}");
    }
}

#[test]
fn attestations_have_the_documented_bytes() {
    let contribution = hello_manifest(42).id();
    let accept = accepting(1, contribution);
    assert_eq!(accept.to_bytes(), documented_hex(ACCEPTING));
    assert_eq!(accept.to_bytes().len(), 136);
    assert_eq!(
        Attestation::signing_hash(accept.body()),
        documented_hash(ACCEPTING_SIGNING_HASH)
    );

    doc::assert_documented(&format!("77-byte message `{REJECTION_MESSAGE}`"));
    assert_eq!(REJECTION_MESSAGE.len(), 77);
    let body = AttestationBody::reject(
        contribution,
        seed(2).public(),
        ReasonCode::Format,
        REJECTION_MESSAGE,
    );
    let reject = Attestation::sign(body, &seed(2)).unwrap();
    assert_eq!(reject.to_bytes(), documented_hex(REJECTING));
    assert_eq!(reject.to_bytes().len(), 213);

    for attestation in [accept, reject] {
        let decoded = Attestation::from_bytes(&attestation.to_bytes()).unwrap();
        decoded.verify().unwrap();
        assert_eq!(decoded, attestation);
    }
}

#[test]
fn the_validator_set_and_certificate_have_the_documented_bytes_and_ids() {
    let set = vector_set();
    assert_eq!(set.to_bytes(), documented_hex(VALIDATOR_SET));
    assert_eq!(set.id(), documented_hash(VALIDATOR_SET_ID));

    let contribution = hello_manifest(42).id();
    let qc = vector_qc(contribution);
    assert_eq!(qc.to_bytes(), documented_hex(QC));
    assert_eq!(qc.to_bytes().len(), 261);
    assert_eq!(qc.hash(), documented_hash(QC_HASH));
    let decoded = QuorumCertificate::from_bytes(&doc::hex(QC)).unwrap();
    decoded.verify(&set).unwrap();

    let short = [accepting(1, contribution), accepting(2, contribution)];
    assert!(
        QuorumCertificate::form(&set, contribution, &short).is_err(),
        "30 of 60 is not more than two thirds"
    );
}

/// 13.10: the batch leaf of 13.3's contribution.
const LEAF: &str = "\
    01
    c9fd636366244aff0e8aba10dad8784143cc356d9c80bce0a8645601dba00e25
    8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c
    1e81a2f7350d5279bd9016a83b0bc0a9830998c8872d36043bdc52521dbff496
    00000001
    a1d013b480c54d30b42e92f337b0766fe999d5e7d611dfa6a8c7b93f34680792
    89954cd53e1851fa4f8a44135594968edc76b389fcafdbf72a31b2102cc11cb7
";

/// 13.10: the leaf's hash, and the root of a batch of that one leaf.
const LEAF_HASH: &str = "ddd400ddcc88d30ab5a12a38950cb79c728774ec8df9a0e4043f1ea628a6e029";

/// 13.10: nonce, contribution id, QC hash and leaf hash of each of three leaves.
const THREE_LEAVES: [(u64, &str, &str, &str); 3] = [
    (
        42,
        "c9fd636366244aff0e8aba10dad8784143cc356d9c80bce0a8645601dba00e25",
        "89954cd53e1851fa4f8a44135594968edc76b389fcafdbf72a31b2102cc11cb7",
        "ddd400ddcc88d30ab5a12a38950cb79c728774ec8df9a0e4043f1ea628a6e029",
    ),
    (
        43,
        "58701cf14672257a2d2afd0e9d678170c38f2f2c53ed4ca3e8b9547a3c9b4915",
        "bd585a2637f2229c92c309c925a74543e73cfa55d6847e5500dfe7b8ed0da883",
        "35233498470750ddc2972f9b214912dd44ee2a49245b8b2b301c07ecb61bb623",
    ),
    (
        44,
        "eabf43080225cd4989c852ee43de112831d35a8f338917cb1f3e27d2b2ca0230",
        "dcb797372282048ca0c3b066d361119090995c72878ddf0cc2ce9b721740c5d0",
        "502b16369ea07c5f8f29fb2a00fc98e1ad40a9ae30907a130b60f0e081fb195a",
    ),
];

/// 13.10: `node(L0, L1)` of the three leaves.
const THREE_LEAVES_NODE: &str = "9f92b67bd15e9b66f7dffe0a9c6b438bb65cfe5228dad0f068280427730b1723";

/// 13.10: the root of the three leaves.
const THREE_LEAVES_ROOT: &str = "1fae7353790be7e8b9a365b210563b57982597ed86d6e648afeee43c3e7fc003";

/// 13.10: the leader draw's input for epoch 7.
const LEADER_INPUT: &str = "\
    45e13256caff06dcb885f6f4b47eb578b8c8e16441e5dba0e2d9ffc30c78e230
    9fecd3e2a7971c5b46ac43290d041b231e80698b582e8fcd37a63ce7894cad04
    0000000000000007
";

/// 13.10: the draw, its first 16 bytes as an integer, and that modulo the total stake, as the
/// document's sentence gives them.
const LEADER_DRAW: &str = "`H(Leader, input)` = \
    `8af5f32cae6622411544fc8357d9b28f638f86d41249841ca8e30318db2c37b1`; its first 16 bytes are \
    the integer `184710508314206125116805363124590457487`, which is `27` modulo the total stake 60";

/// 13.10: the leader of each of epochs 0 to 9, by seed.
const LEADERS: [u8; 10] = [3, 3, 3, 2, 3, 2, 3, 1, 3, 2];

/// 13.10: the proposal's fields before its certificate.
const PROPOSAL_BEFORE_QC: &str = "\
    01
    9fecd3e2a7971c5b46ac43290d041b231e80698b582e8fcd37a63ce7894cad04
    0000000000000007
    45e13256caff06dcb885f6f4b47eb578b8c8e16441e5dba0e2d9ffc30c78e230
    8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c
    ddd400ddcc88d30ab5a12a38950cb79c728774ec8df9a0e4043f1ea628a6e029
    00000001
";

/// 13.10: the proposal's fields after its certificate: no attribution record, nothing funded,
/// no payment, the zero rewards root.
const PROPOSAL_AFTER_QC: &str = "\
    00000000
    00000000000000000000000000000000
    00000000
    0000000000000000000000000000000000000000000000000000000000000000
";

/// 13.10: the proposal's signing hash.
const PROPOSAL_SIGNING_HASH: &str =
    "492ddda29b6c37d81d7043d8aacccf21eb6d7c0dad341ad314b5f8c4bbb1b98d";

/// 13.10: the leader's signature of the proposal.
const PROPOSAL_SIGNATURE: &str = "\
    71dd8674f381effe35b6c91b2002bd3b4e081e7df826219abac6a059b32e73cc
    8b95e0198fe7813f30f953b23216d93186d700ba9cba7b7f68e9aba253269b0d
";

/// 13.10: `seed(2)`'s vote.
const VOTE: &str = "\
    01
    9fecd3e2a7971c5b46ac43290d041b231e80698b582e8fcd37a63ce7894cad04
    0000000000000007
    ddd400ddcc88d30ab5a12a38950cb79c728774ec8df9a0e4043f1ea628a6e029
    0000000000000000000000000000000000000000000000000000000000000000
    8139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394
    65c44341b17e68866487d6ffd2b925784e8284ee7afe7dc4a3126850bae07768
    c902c105e9f56498de1bb3f42144ffdee8808d2c8a164d6d3d459b7456fc1e0a
";

/// 13.10: the vote's signing hash.
const VOTE_SIGNING_HASH: &str = "24901b5a5df33f9b5f0606a70955e358888ca9a50779dad590886c1eca4a452a";

/// 13.10: the final batch after its proposal.
const FINAL_AFTER_PROPOSAL: &str = "\
    00000002
    8139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394
    65c44341b17e68866487d6ffd2b925784e8284ee7afe7dc4a3126850bae07768
    c902c105e9f56498de1bb3f42144ffdee8808d2c8a164d6d3d459b7456fc1e0a
    ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d1
    9c4334da79b16a526b88ffffd59590311fe87d1dc27097b3ac89885a734eb440
    a947452edcdf66ce44321b0b5b14b41f349cb25ece3d0ca8130995fdbf37df0e
";

/// 13.10: BLAKE3 of the whole final batch.
const FINAL_BLAKE3: &str = "bf8c405480b78843f491cab33567b3ea1b53d83391263972613bc8d1d9d26f60";

/// The leaf of 13.3's contribution with `nonce`, accepted by [`vector_qc`].
fn vector_leaf(nonce: u64) -> BatchLeaf {
    let manifest = hello_manifest(nonce);
    BatchLeaf::new(&manifest, &vector_qc(manifest.id()))
}

/// `seed(n)`'s vote for `root` in epoch 7 of [`vector_datanet`].
fn vector_vote(n: u8, root: Hash) -> BatchVote {
    let body = BatchVoteBody {
        datanet: vector_datanet(),
        epoch: 7,
        root,
        rewards_root: Hash::default(),
        validator: seed(n).public(),
    };
    BatchVote::sign(body, &seed(n)).unwrap()
}

#[test]
fn batch_leaves_and_roots_are_the_documented_ones() {
    let leaf = vector_leaf(42);
    assert_eq!(leaf.to_bytes(), documented_hex(LEAF));
    assert_eq!(leaf.hash(), documented_hash(LEAF_HASH));
    assert_eq!(batch_root(std::slice::from_ref(&leaf)), leaf.hash());
    assert_eq!(BatchLeaf::from_bytes(&doc::hex(LEAF)).unwrap(), leaf);

    let mut leaves = Vec::new();
    for (nonce, id, qc_hash, leaf_hash) in THREE_LEAVES {
        doc::assert_documented(&format!(
            "| {nonce} | `{id}` | `{qc_hash}` | `{leaf_hash}` |"
        ));
        let manifest = hello_manifest(nonce);
        assert_eq!(manifest.id().0, documented_hash(id));
        assert_eq!(vector_qc(manifest.id()).hash(), documented_hash(qc_hash));
        let leaf = vector_leaf(nonce);
        assert_eq!(leaf.hash(), documented_hash(leaf_hash));
        leaves.push(leaf);
    }
    let (l0, l1) = (leaves[0].hash(), leaves[1].hash());
    let node = datanet_protocol::hash::node(&l0, &l1);
    assert_eq!(node, documented_hash(THREE_LEAVES_NODE));
    let root = batch_root(&leaves);
    assert_eq!(root, documented_hash(THREE_LEAVES_ROOT));
    assert_eq!(root, datanet_protocol::hash::node(&node, &leaves[2].hash()));
}

#[test]
fn the_leader_draw_is_the_documented_one() {
    let set = vector_set();
    let input = documented_hex(LEADER_INPUT);
    let mut expected = set.id().0.to_vec();
    expected.extend(vector_datanet().0 .0);
    expected.extend(7u64.to_be_bytes());
    assert_eq!(input, expected);

    let draw = hash(Domain::Leader, &input);
    let high = u128::from_be_bytes(draw.0[..16].try_into().unwrap());
    let point = high % set.total_stake();
    doc::assert_documented(LEADER_DRAW);
    assert_eq!(
        LEADER_DRAW,
        format!(
            "`H(Leader, input)` = `{draw}`; its first 16 bytes are the integer `{high}`, which \
             is `{point}` modulo the total stake {}",
            set.total_stake()
        )
    );
    assert_eq!(point, 27, "in seed(1)'s interval [20, 30)");
    assert_eq!(leader(&set, &vector_datanet(), 7), Some(seed(1).public()));
    doc::assert_documented("so `seed(1)` leads epoch 7");

    for (epoch, n) in LEADERS.iter().enumerate() {
        doc::assert_documented(&format!("| {epoch} | `seed({n})` |"));
        assert_eq!(
            leader(&set, &vector_datanet(), epoch as u64),
            Some(seed(*n).public()),
            "epoch {epoch}"
        );
    }
}

/// The body of 13.10's proposal: epoch 7, led by `seed(1)`, holding 13.3's contribution.
fn vector_proposal_body() -> ProposalBody {
    let leaf = vector_leaf(42);
    ProposalBody {
        datanet: vector_datanet(),
        epoch: 7,
        validator_set: vector_set().id(),
        leader: seed(1).public(),
        root: leaf.hash(),
        certificates: vec![vector_qc(leaf.contribution)],
        attributions: Vec::new(),
        funded: 0,
        payments: Vec::new(),
        rewards_root: Hash::default(),
    }
}

/// 13.10's final batch: the proposal and the votes of `seed(2)` and `seed(3)`.
fn vector_final(proposal: BatchProposal) -> FinalBatch {
    let root = proposal.body().root;
    let votes = [vector_vote(2, root), vector_vote(3, root)];
    FinalBatch::form(&vector_set(), proposal, &votes).unwrap()
}

#[test]
fn the_proposal_vote_and_final_batch_have_the_documented_bytes_and_verify() {
    let body = vector_proposal_body();
    assert_eq!(
        BatchProposal::signing_hash(&body),
        documented_hash(PROPOSAL_SIGNING_HASH)
    );
    let proposal = BatchProposal::sign(body, &seed(1)).unwrap();
    let mut proposal_bytes = documented_hex(PROPOSAL_BEFORE_QC);
    proposal_bytes.extend(documented_hex(QC));
    proposal_bytes.extend(documented_hex(PROPOSAL_AFTER_QC));
    proposal_bytes.extend(documented_hex(PROPOSAL_SIGNATURE));
    assert_eq!(proposal.to_bytes(), proposal_bytes);
    assert_eq!(proposal_bytes.len(), 522);
    assert_eq!(
        BatchProposal::from_bytes(&proposal_bytes).unwrap(),
        proposal
    );

    let vote = vector_vote(2, proposal.body().root);
    assert_eq!(vote.to_bytes(), documented_hex(VOTE));
    assert_eq!(
        BatchVote::signing_hash(vote.body()),
        documented_hash(VOTE_SIGNING_HASH)
    );
    let mut message = vec![3];
    message.extend(documented_hex(VOTE));
    assert_eq!(QuorumMessage::Vote(vote.clone()).to_bytes(), message);
    assert_eq!(
        QuorumMessage::from_bytes(&message).unwrap(),
        QuorumMessage::Vote(vote)
    );

    let batch = vector_final(proposal);
    let mut batch_bytes = proposal_bytes;
    batch_bytes.extend(documented_hex(FINAL_AFTER_PROPOSAL));
    assert_eq!(batch.to_bytes(), batch_bytes);
    assert_eq!(batch_bytes.len(), 718);
    assert_eq!(
        blake3::hash(&batch_bytes).as_bytes(),
        &documented_hex(FINAL_BLAKE3)[..]
    );
    let decoded = FinalBatch::from_bytes(&batch_bytes).unwrap();
    decoded.verify(&vector_set()).unwrap();
    assert_eq!(decoded, batch);
}

/// 5.21: the tag of each quorum message, as the document's table row gives it.
const QUORUM_TAGS: [(u8, &str, &str); 5] = [
    (1, "Attestation", "Attestation` (5.12)"),
    (2, "Proposal", "BatchProposal` (5.18)"),
    (3, "Vote", "BatchVote` (5.19)"),
    (4, "Final", "FinalBatch` (5.20)"),
    (5, "AnchorSignature", "AnchorSignature` (5.22)"),
];

#[test]
fn quorum_messages_start_with_the_documented_tags() {
    let attestation = accepting(1, hello_manifest(42).id());
    let proposal = BatchProposal::sign(vector_proposal_body(), &seed(1)).unwrap();
    let vote = vector_vote(2, proposal.body().root);
    let batch = vector_final(proposal.clone());
    // 5.22: the fields in order, 169 bytes, no version byte.
    let anchor = AnchorSignature {
        datanet: DatanetId(Hash([1; 32])),
        epoch: 7,
        batch_root: Hash([2; 32]),
        rewards_root: Hash([0; 32]),
        signature: [3; 65],
    };
    let mut anchor_bytes = vec![1; 32];
    anchor_bytes.extend(7u64.to_be_bytes());
    anchor_bytes.extend([2; 32]);
    anchor_bytes.extend([0; 32]);
    anchor_bytes.extend([3; 65]);
    assert_eq!(anchor_bytes.len(), 169);
    assert!(QuorumMessage::from_bytes(&[&[5u8][..], &anchor_bytes[..168]].concat()).is_err());
    let messages = [
        (
            QuorumMessage::Attestation(attestation.clone()),
            attestation.to_bytes(),
        ),
        (
            QuorumMessage::Proposal(proposal.clone()),
            proposal.to_bytes(),
        ),
        (QuorumMessage::Vote(vote.clone()), vote.to_bytes()),
        (
            QuorumMessage::Final(Box::new(batch.clone())),
            batch.to_bytes(),
        ),
        (QuorumMessage::AnchorSignature(anchor), anchor_bytes.clone()),
    ];
    for ((tag, name, object), (message, bytes)) in QUORUM_TAGS.iter().zip(messages) {
        doc::assert_documented(&format!("| `{tag}` | `{name}` | `{object} |"));
        let mut expected = vec![*tag];
        expected.extend(bytes);
        assert_eq!(message.to_bytes(), expected, "{name}");
        assert_eq!(QuorumMessage::from_bytes(&expected).unwrap(), message);
    }
}

#[test]
fn the_domain_keys_are_the_documented_ones() {
    for domain in Domain::ALL {
        doc::assert_documented(&format!(
            "| `{domain:?}` | `{}` | `{}` |",
            domain.context(),
            hex::encode(domain.key())
        ));
    }
}

/// 13.11: the output of the attribution record vector.
const ATTRIBUTED_OUTPUT: &str = "As they say, the river bends twice before it reaches the sea.";

/// 13.11: `seed(1)`'s attribution record of [`ATTRIBUTED_OUTPUT`] on [`vector_datanet`].
fn vector_attribution() -> AttributionRecord {
    let mut weights = vec![(seed(2).public(), 3364), (seed(3).public(), 85264)];
    weights.sort();
    let body = AttributionBody {
        model: ModelId(hash(Domain::Model, b"m")),
        datanet: vector_datanet(),
        operator: seed(1).public(),
        output_hash: output_hash(ATTRIBUTED_OUTPUT.as_bytes()),
        min_span: 32,
        weights,
    };
    AttributionRecord::sign(body, &seed(1)).unwrap()
}

/// 13.11: the record's bytes.
const ATTRIBUTION_RECORD: &str = "\
    01
    0f65e67de7cb87f634ed0c5da7c243ec9ad5897505cf5c8914790c219b64266a
    9fecd3e2a7971c5b46ac43290d041b231e80698b582e8fcd37a63ce7894cad04
    8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c
    a143a76e344d5082fce09b9f2d57c7bb25cdf605cf28a02c2d62afc2fdf8f96c
    00000020
    00000002
    8139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394 0000000000000d24
    ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d1 0000000000014d10
    a577a3e55a599ee719b7f8479eff5858228504b5dc88a356d61a1b8e0ae34657
    874824959574f712143424b0941495ed96d42b45571b5dbb88fc2493457bc20d
";

#[test]
fn the_attribution_record_has_the_documented_bytes_id_and_hashes() {
    let record = vector_attribution();
    let bytes = documented_hex(ATTRIBUTION_RECORD);
    assert_eq!(record.to_bytes(), bytes);
    assert_eq!(bytes.len(), 281);
    assert_eq!(AttributionRecord::from_bytes(&bytes).unwrap(), record);
    record.verify().unwrap();
    assert_eq!(
        record.body().output_hash,
        documented_hash("a143a76e344d5082fce09b9f2d57c7bb25cdf605cf28a02c2d62afc2fdf8f96c")
    );
    assert_eq!(
        AttributionRecord::signing_hash(record.body()),
        documented_hash("a6017de19c78af8a06d45891d1b9446c9330b480a6b3372416adfffa80c6007f")
    );
    assert_eq!(
        record.id(),
        documented_hash("e4f472e18af17e640de608c5409172175f4c91ffc6c6578cb4e522c69fbbabb1")
    );
    doc::assert_documented(&format!("`{ATTRIBUTED_OUTPUT}`"));
}
