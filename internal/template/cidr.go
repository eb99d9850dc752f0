package template

import (
	"math/big"
	"net/netip"
	"strconv"
)

// cidr evaluates Fn::Cidr: [IpBlock, Count, CidrBits], the first Count
// subnets of IpBlock with CidrBits host bits each.
func (r *resolver) cidr(arg, orig *Value, path string) *Value {
	if arg.Kind != List || len(arg.Items) != 3 {
		r.errorf(arg.Pos, path, "write Fn::Cidr: [IpBlock, Count, CidrBits]", "Fn::Cidr needs an address block, a count and a number of bits")
		return orig
	}
	var args [3]string
	for i := range 3 {
		v := r.resolve(arg.Items[i], path)
		s, ok := v.Str()
		if !ok || v.Kind == Map {
			return orig
		}
		args[i] = s
	}
	prefix, err := netip.ParsePrefix(args[0])
	if err != nil {
		r.errorf(arg.Items[0].Pos, path, "give a CIDR block such as 10.0.0.0/16", "Fn::Cidr: %q is not a CIDR block", args[0])
		return orig
	}
	count, err1 := strconv.Atoi(args[1])
	bits, err2 := strconv.Atoi(args[2])
	total := prefix.Addr().BitLen()
	newLen := total - bits
	if err1 != nil || err2 != nil || count < 1 || count > 256 || bits < 1 || newLen < prefix.Bits() {
		r.errorf(arg.Pos, path, "use a count from 1 to 256 and CidrBits that fit inside the block", "Fn::Cidr: cannot cut %s subnets of %s host bits from %s", args[1], args[2], args[0])
		return orig
	}
	if avail := newLen - prefix.Bits(); avail < 63 && count > 1<<avail {
		r.errorf(arg.Pos, path, "ask for fewer subnets or fewer bits", "Fn::Cidr: %s holds only %d subnets of /%d", args[0], 1<<avail, newLen)
		return orig
	}
	base := new(big.Int).SetBytes(prefix.Masked().Addr().AsSlice())
	step := new(big.Int).Lsh(big.NewInt(1), uint(bits))
	out := list(orig.Pos)
	for i := range count {
		n := new(big.Int).Add(base, new(big.Int).Mul(step, big.NewInt(int64(i))))
		b := n.FillBytes(make([]byte, total/8))
		addr, _ := netip.AddrFromSlice(b)
		out.Items = append(out.Items, str(netip.PrefixFrom(addr, newLen).String(), orig.Pos))
	}
	return out
}
