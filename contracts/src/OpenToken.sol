// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title OPEN, the token validators stake on a datanet (and, later, its rewards).
/// @notice A plain ERC-20 whose whole supply goes to the deployer, who hands it out.
contract OpenToken is ERC20 {
    /// @param supply Every token there will be, in the smallest unit (18 decimals).
    constructor(uint256 supply) ERC20("Open", "OPEN") {
        _mint(msg.sender, supply);
    }
}
