// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Ed25519} from "./Ed25519.sol";

/// @title The on-chain home of datanets: their validator sets, stakes and anchored batch roots.
/// @notice A datanet is registered with the ed25519 network keys of its validators and its
/// quorum threshold. A validator binds its network key to its EVM address (an ed25519
/// signature naming the address, checked here; the transaction itself is the EVM signature),
/// then stakes OPEN on each datanet that lists it. An epoch's batch root is anchored once, in
/// increasing epoch order, with EIP-712 signatures of validators holding more than the
/// threshold of the datanet's stake. Two different roots signed by one validator for one
/// (datanet, epoch) forfeit its stake on that datanet to whoever submits them.
///
/// Rewards: anyone funds a datanet's reward pool with OPEN. Each anchored rewards root is a
/// Merkle tree of (contributor network key, cumulative reward) leaves; a contributor's key
/// binds an EVM payee once (an ed25519 signature naming it), and anyone may claim for the key
/// against any anchored root: the payee receives the cumulative amount less what the key was
/// already paid on that datanet, and the pool never pays out more than was funded.
contract DatanetHub is EIP712 {
    using SafeERC20 for IERC20;

    /// The EIP-712 type every validator signs to anchor an epoch's batch.
    bytes32 public constant ANCHOR_TYPEHASH =
        keccak256("Anchor(bytes32 datanet,uint64 epoch,bytes32 batchRoot,bytes32 rewardsRoot)");
    /// The prefix of what a network key signs to bind itself to an EVM address: see
    /// `keyBindingMessage`.
    bytes public constant KEY_BINDING_DOMAIN = "datanet/hub/key-binding/1";
    /// The prefix of what a contributor's network key signs to name the EVM address its
    /// rewards are paid to: see `payeeBindingMessage`.
    bytes public constant PAYEE_BINDING_DOMAIN = "datanet/hub/payee-binding/1";
    /// The most validators a datanet may list (the network's own limit); bounds every loop
    /// over a set.
    uint256 public constant MAX_VALIDATORS = 1024;
    /// The share of a slashed stake paid to the one who proved the equivocation, in percent.
    uint256 public constant SLASH_REWARD_PERCENT = 10;

    /// The token staked.
    IERC20 public immutable token;
    /// Seconds between asking to withdraw stake and being able to take it: the window in which
    /// an equivocation can still be punished.
    uint64 public immutable withdrawalDelay;

    /// A registered datanet.
    struct Datanet {
        address owner;
        bytes32 policyHash;
        uint32 thresholdNumerator;
        uint32 thresholdDenominator;
        /// The lowest epoch that can still be anchored.
        uint64 nextEpoch;
        /// The stake of all its validators, the denominator of every quorum.
        uint256 totalStake;
        bytes32[] validatorKeys;
    }

    /// Stake leaving a datanet, slashable until `until`.
    struct Unbonding {
        uint256 amount;
        uint64 until;
    }

    /// EVM address of each bound network key.
    mapping(bytes32 => address) public keyOwner;
    /// Network key bound to each EVM address.
    mapping(address => bytes32) public networkKey;
    /// Stake of each validator on each datanet, by datanet id and EVM address.
    mapping(bytes32 => mapping(address => uint256)) public stakeOf;
    /// Stake on its way out, by datanet id and EVM address.
    mapping(bytes32 => mapping(address => Unbonding)) public unbonding;
    /// Whether a datanet lists a network key, by datanet id and key.
    mapping(bytes32 => mapping(bytes32 => bool)) public lists;
    /// Anchored batches, by datanet id and epoch, in one slot each: the block number in the
    /// top 64 bits, the low 192 bits of `keccak256(batchRoot, rewardsRoot)` below. The roots
    /// themselves are in the `Anchored` event of that block; one slot keeps an anchor cheap.
    mapping(bytes32 => mapping(uint64 => uint256)) private anchorSlots;
    /// Slashed stake not paid out as a reward; held by the hub.
    uint256 public slashedPool;
    mapping(bytes32 => Datanet) private datanets;
    /// OPEN ever funded into each datanet's reward pool, by datanet id.
    mapping(bytes32 => uint256) public fundedOf;
    /// OPEN ever paid out of each datanet's reward pool, by datanet id.
    mapping(bytes32 => uint256) public paidOf;
    /// Rewards already paid to each contributor, by datanet id and contributor network key: the
    /// part of a cumulative amount a claim no longer pays.
    mapping(bytes32 => mapping(bytes32 => uint256)) public claimedOf;
    /// The EVM address each contributor network key is paid at; zero while unbound.
    mapping(bytes32 => address) public payeeOf;

    /// A network key was bound to an EVM address.
    event ValidatorRegistered(address indexed validator, bytes32 indexed networkKey);
    /// A datanet was registered.
    event DatanetRegistered(bytes32 indexed datanet, address indexed owner, bytes32 policyHash);
    /// A validator's stake on a datanet changed.
    event StakeChanged(bytes32 indexed datanet, address indexed validator, uint256 stake, uint256 totalStake);
    /// An epoch batch was anchored: the event light clients follow.
    event Anchored(
        bytes32 indexed datanet,
        uint64 indexed epoch,
        bytes32 batchRoot,
        bytes32 rewardsRoot,
        uint256 signedStake,
        uint256 totalStake
    );
    /// A validator's stake on a datanet was slashed for signing two batches of one epoch.
    event Slashed(bytes32 indexed datanet, uint64 indexed epoch, address indexed validator, uint256 amount, address reporter);
    /// `amount` OPEN went into a datanet's reward pool; `funded` is all it was ever funded.
    event RewardsFunded(bytes32 indexed datanet, address indexed funder, uint256 amount, uint256 funded);
    /// A contributor network key named the EVM address its rewards are paid to.
    event PayeeBound(bytes32 indexed key, address indexed payee);
    /// A contributor's rewards on a datanet were paid up to `cumulative`, `amount` of it now.
    event RewardClaimed(
        bytes32 indexed datanet, bytes32 indexed contributor, address indexed payee, uint256 amount, uint256 cumulative
    );

    /// The ed25519 signature does not bind this network key to the sender.
    error BadKeyBinding();
    /// The key, or the address, is already bound.
    error AlreadyRegistered();
    /// A datanet with this id exists.
    error DatanetExists(bytes32 datanet);
    /// No datanet has this id.
    error UnknownDatanet(bytes32 datanet);
    /// The threshold is not a fraction strictly between 0 and 1.
    error BadThreshold(uint32 numerator, uint32 denominator);
    /// The validator list is empty, too long, or not strictly ascending.
    error BadValidatorList();
    /// The sender has no network key bound, or the datanet does not list it.
    error NotListed(bytes32 datanet, address validator);
    /// An amount of zero, or more than there is.
    error BadAmount();
    /// The unbonding stake is still slashable.
    error StillBonded(uint64 until);
    /// The epoch is below the datanet's next anchorable epoch.
    error EpochNotAfterLast(uint64 epoch, uint64 nextEpoch);
    /// A signature does not recover to a validator with stake on the datanet.
    error NotAValidator(address signer);
    /// Signers must be strictly ascending by address: a repeated or unsorted signer.
    error SignersNotAscending(address signer);
    /// The signers hold too little stake.
    error BelowThreshold(uint256 signedStake, uint256 totalStake);
    /// Slashing needs two different roots signed by one validator.
    error NotAnEquivocation();
    /// The equivocating validator has no stake left on that datanet.
    error NothingToSlash(address validator);
    /// The ed25519 signature does not bind this network key to this payee, or the payee is zero.
    error BadPayeeBinding();
    /// The network key already has a payee.
    error PayeeAlreadyBound(bytes32 key, address payee);
    /// The rewards root is zero, or not the one anchored with this batch root for this epoch.
    error NotAnchored(bytes32 datanet, uint64 epoch);
    /// The (contributor, cumulative) leaf is not in the rewards root.
    error BadProof();
    /// The contributor's network key has no payee bound yet.
    error PayeeNotBound(bytes32 key);
    /// The contributor was already paid this cumulative amount or more.
    error NothingToClaim(uint256 cumulative, uint256 claimed);
    /// The datanet's pool holds less than the claim: funded minus paid is `available`.
    error PoolExhausted(uint256 amount, uint256 available);

    /// @param token_ The OPEN token.
    /// @param withdrawalDelay_ Seconds stake stays slashable after a withdrawal request.
    constructor(IERC20 token_, uint64 withdrawalDelay_) EIP712("DatanetHub", "1") {
        token = token_;
        withdrawalDelay = withdrawalDelay_;
    }

    /// @notice Bind the ed25519 network key `key` to the sender. `(sigR, sigS)` is the key's
    /// signature of the 32 bytes `keyBindingMessage(sender)`.
    function registerValidator(bytes32 key, bytes32 sigR, bytes32 sigS) external {
        if (keyOwner[key] != address(0) || networkKey[msg.sender] != bytes32(0)) revert AlreadyRegistered();
        if (!Ed25519.verify(key, sigR, sigS, abi.encodePacked(keyBindingMessage(msg.sender)))) revert BadKeyBinding();
        keyOwner[key] = msg.sender;
        networkKey[msg.sender] = key;
        emit ValidatorRegistered(msg.sender, key);
    }

    /// @notice What `validator`'s network key signs to bind itself to it on this hub:
    /// `keccak256(KEY_BINDING_DOMAIN || chainid as 32 bytes || hub || validator)`, the network
    /// signing 32-byte digests as it does everywhere else.
    function keyBindingMessage(address validator) public view returns (bytes32) {
        return keccak256(abi.encodePacked(KEY_BINDING_DOMAIN, block.chainid, address(this), validator));
    }

    /// @notice Register datanet `id`, owned by the sender, validated by the network keys
    /// `validatorKeys` (strictly ascending), final with more than `numerator/denominator` of
    /// their stake.
    function registerDatanet(
        bytes32 id,
        bytes32 policyHash,
        bytes32[] calldata validatorKeys,
        uint32 numerator,
        uint32 denominator
    ) external {
        if (datanets[id].owner != address(0)) revert DatanetExists(id);
        if (numerator == 0 || numerator >= denominator) revert BadThreshold(numerator, denominator);
        uint256 count = validatorKeys.length;
        if (count == 0 || count > MAX_VALIDATORS) revert BadValidatorList();
        for (uint256 i = 0; i < count; i++) {
            if (i > 0 && validatorKeys[i] <= validatorKeys[i - 1]) revert BadValidatorList();
            lists[id][validatorKeys[i]] = true;
        }
        Datanet storage d = datanets[id];
        d.owner = msg.sender;
        d.policyHash = policyHash;
        d.thresholdNumerator = numerator;
        d.thresholdDenominator = denominator;
        d.validatorKeys = validatorKeys;
        emit DatanetRegistered(id, msg.sender, policyHash);
    }

    /// @notice A registered datanet: its owner, policy hash, threshold, the lowest epoch still
    /// anchorable, and its total stake.
    function datanet(bytes32 id)
        external
        view
        returns (
            address owner,
            bytes32 policyHash,
            uint32 numerator,
            uint32 denominator,
            uint64 nextEpoch,
            uint256 totalStake
        )
    {
        Datanet storage d = datanets[id];
        if (d.owner == address(0)) revert UnknownDatanet(id);
        return (d.owner, d.policyHash, d.thresholdNumerator, d.thresholdDenominator, d.nextEpoch, d.totalStake);
    }

    /// @notice The network keys a datanet lists, each with its bound EVM address (zero if
    /// unbound) and its stake on the datanet: the validator set nodes use.
    function validatorSet(bytes32 id)
        external
        view
        returns (bytes32[] memory keys, address[] memory owners, uint256[] memory stakes)
    {
        Datanet storage d = datanets[id];
        if (d.owner == address(0)) revert UnknownDatanet(id);
        keys = d.validatorKeys;
        owners = new address[](keys.length);
        stakes = new uint256[](keys.length);
        for (uint256 i = 0; i < keys.length; i++) {
            owners[i] = keyOwner[keys[i]];
            stakes[i] = stakeOf[id][owners[i]];
        }
    }

    /// @notice Stake `amount` OPEN (approved to this hub beforehand) on datanet `id`, which
    /// must list the sender's network key.
    function stake(bytes32 id, uint256 amount) external {
        Datanet storage d = datanets[id];
        if (d.owner == address(0)) revert UnknownDatanet(id);
        bytes32 key = networkKey[msg.sender];
        if (key == bytes32(0) || !lists[id][key]) revert NotListed(id, msg.sender);
        if (amount == 0) revert BadAmount();
        token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 staked = stakeOf[id][msg.sender] + amount;
        stakeOf[id][msg.sender] = staked;
        d.totalStake += amount;
        emit StakeChanged(id, msg.sender, staked, d.totalStake);
    }

    /// @notice Stop `amount` of the sender's stake on `id` from counting; it can be withdrawn
    /// after `withdrawalDelay` (the delay restarts with each request) and is slashable until then.
    function requestWithdrawal(bytes32 id, uint256 amount) external {
        uint256 staked = stakeOf[id][msg.sender];
        if (amount == 0 || amount > staked) revert BadAmount();
        stakeOf[id][msg.sender] = staked - amount;
        datanets[id].totalStake -= amount;
        Unbonding storage u = unbonding[id][msg.sender];
        u.amount += amount;
        u.until = uint64(block.timestamp) + withdrawalDelay;
        emit StakeChanged(id, msg.sender, staked - amount, datanets[id].totalStake);
    }

    /// @notice Take back the sender's unbonded stake on `id` once it is no longer slashable.
    function withdraw(bytes32 id) external {
        Unbonding memory u = unbonding[id][msg.sender];
        if (u.amount == 0) revert BadAmount();
        if (block.timestamp < u.until) revert StillBonded(u.until);
        delete unbonding[id][msg.sender];
        token.safeTransfer(msg.sender, u.amount);
    }

    /// @notice The EIP-712 digest a validator signs to anchor a batch.
    function anchorDigest(bytes32 id, uint64 epoch, bytes32 batchRoot, bytes32 rewardsRoot)
        public
        view
        returns (bytes32)
    {
        return _hashTypedDataV4(keccak256(abi.encode(ANCHOR_TYPEHASH, id, epoch, batchRoot, rewardsRoot)));
    }

    /// @notice Anchor epoch `epoch` of datanet `id` with its batch root and rewards root (zero
    /// while the epoch pays no rewards). `signatures` are 65-byte EIP-712 signatures of
    /// `anchorDigest`, ordered by signer address, strictly ascending; their signers' stake on
    /// the datanet must exceed its threshold of the total.
    function anchor(bytes32 id, uint64 epoch, bytes32 batchRoot, bytes32 rewardsRoot, bytes[] calldata signatures)
        external
    {
        Datanet storage d = datanets[id];
        if (d.owner == address(0)) revert UnknownDatanet(id);
        if (epoch < d.nextEpoch) revert EpochNotAfterLast(epoch, d.nextEpoch);
        bytes32 digest = anchorDigest(id, epoch, batchRoot, rewardsRoot);
        uint256 signed;
        address previous;
        for (uint256 i = 0; i < signatures.length; i++) {
            address signer = ECDSA.recover(digest, signatures[i]);
            if (signer <= previous) revert SignersNotAscending(signer);
            uint256 staked = stakeOf[id][signer];
            if (staked == 0) revert NotAValidator(signer);
            signed += staked;
            previous = signer;
        }
        uint256 total = d.totalStake;
        if (signed * d.thresholdDenominator <= total * d.thresholdNumerator) revert BelowThreshold(signed, total);
        d.nextEpoch = epoch + 1;
        anchorSlots[id][epoch] = (block.number << 192) | uint192(uint256(rootsHash(batchRoot, rewardsRoot)));
        emit Anchored(id, epoch, batchRoot, rewardsRoot, signed, total);
    }

    /// @notice The block in which epoch `epoch` of datanet `id` was anchored; zero if it was
    /// not.
    function anchorBlock(bytes32 id, uint64 epoch) external view returns (uint64) {
        return uint64(anchorSlots[id][epoch] >> 192);
    }

    /// @notice Whether epoch `epoch` of datanet `id` was anchored with these roots: the check
    /// another contract makes before trusting a batch root.
    function isAnchored(bytes32 id, uint64 epoch, bytes32 batchRoot, bytes32 rewardsRoot)
        public
        view
        returns (bool)
    {
        uint256 slot = anchorSlots[id][epoch];
        return slot != 0 && uint192(slot) == uint192(uint256(rootsHash(batchRoot, rewardsRoot)));
    }

    function rootsHash(bytes32 batchRoot, bytes32 rewardsRoot) private pure returns (bytes32) {
        return keccak256(abi.encodePacked(batchRoot, rewardsRoot));
    }

    /// @notice Prove that one validator signed two different batches for one (datanet, epoch):
    /// its stake and unbonding stake on that datanet are forfeit, `SLASH_REWARD_PERCENT` of it
    /// paid to the sender.
    function slash(
        bytes32 id,
        uint64 epoch,
        bytes32[2] calldata batchRoots,
        bytes32[2] calldata rewardsRoots,
        bytes[2] calldata signatures
    ) external {
        if (batchRoots[0] == batchRoots[1] && rewardsRoots[0] == rewardsRoots[1]) revert NotAnEquivocation();
        address signer = ECDSA.recover(anchorDigest(id, epoch, batchRoots[0], rewardsRoots[0]), signatures[0]);
        address other = ECDSA.recover(anchorDigest(id, epoch, batchRoots[1], rewardsRoots[1]), signatures[1]);
        if (signer != other) revert NotAnEquivocation();
        uint256 staked = stakeOf[id][signer];
        uint256 amount = staked + unbonding[id][signer].amount;
        if (amount == 0) revert NothingToSlash(signer);
        stakeOf[id][signer] = 0;
        delete unbonding[id][signer];
        datanets[id].totalStake -= staked;
        uint256 reward = (amount * SLASH_REWARD_PERCENT) / 100;
        slashedPool += amount - reward;
        token.safeTransfer(msg.sender, reward);
        emit StakeChanged(id, signer, 0, datanets[id].totalStake);
        emit Slashed(id, epoch, signer, amount, msg.sender);
    }

    /// @notice Fund datanet `id`'s reward pool with `amount` OPEN (approved to this hub
    /// beforehand). Anyone may fund; nothing is ever taken back out but claims.
    function fund(bytes32 id, uint256 amount) external {
        if (datanets[id].owner == address(0)) revert UnknownDatanet(id);
        if (amount == 0) revert BadAmount();
        token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 funded = fundedOf[id] + amount;
        fundedOf[id] = funded;
        emit RewardsFunded(id, msg.sender, amount, funded);
    }

    /// @notice Name `payee` as the EVM address the rewards of contributor network key `key` are
    /// paid to, once. `(sigR, sigS)` is the key's signature of the 32 bytes
    /// `payeeBindingMessage(payee)`; that signature is the authority, so anyone may submit it.
    function bindPayee(bytes32 key, address payee, bytes32 sigR, bytes32 sigS) external {
        address bound = payeeOf[key];
        if (bound != address(0)) revert PayeeAlreadyBound(key, bound);
        if (payee == address(0)) revert BadPayeeBinding();
        if (!Ed25519.verify(key, sigR, sigS, abi.encodePacked(payeeBindingMessage(payee)))) revert BadPayeeBinding();
        payeeOf[key] = payee;
        emit PayeeBound(key, payee);
    }

    /// @notice What a contributor's network key signs to be paid at `payee` on this hub:
    /// `keccak256(PAYEE_BINDING_DOMAIN || chainid as 32 bytes || hub || payee)`.
    function payeeBindingMessage(address payee) public view returns (bytes32) {
        return keccak256(abi.encodePacked(PAYEE_BINDING_DOMAIN, block.chainid, address(this), payee));
    }

    /// @notice Pay `contributor`'s payee its rewards on datanet `id` up to `cumulative`: the leaf
    /// `keccak256(keccak256(abi.encode(contributor, cumulative)))`, proven by `proof` (sorted
    /// pairs) to be in `rewardsRoot`, anchored with `batchRoot` for `epoch`. Pays `cumulative`
    /// less what the contributor was already paid on the datanet, from its pool. Any anchored
    /// epoch's root will do (an older root's lower amounts pay nothing), and anyone may submit
    /// the claim: the payment goes to the payee alone.
    function claim(
        bytes32 id,
        uint64 epoch,
        bytes32 batchRoot,
        bytes32 rewardsRoot,
        bytes32 contributor,
        uint256 cumulative,
        bytes32[] calldata proof
    ) external {
        if (rewardsRoot == bytes32(0) || !isAnchored(id, epoch, batchRoot, rewardsRoot)) revert NotAnchored(id, epoch);
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(contributor, cumulative))));
        if (!MerkleProof.verifyCalldata(proof, rewardsRoot, leaf)) revert BadProof();
        address payee = payeeOf[contributor];
        if (payee == address(0)) revert PayeeNotBound(contributor);
        uint256 claimed = claimedOf[id][contributor];
        if (cumulative <= claimed) revert NothingToClaim(cumulative, claimed);
        uint256 amount = cumulative - claimed;
        uint256 paid = paidOf[id];
        uint256 available = fundedOf[id] - paid;
        if (amount > available) revert PoolExhausted(amount, available);
        claimedOf[id][contributor] = cumulative;
        paidOf[id] = paid + amount;
        token.safeTransfer(payee, amount);
        emit RewardClaimed(id, contributor, payee, amount, cumulative);
    }
}
